import fs from 'node:fs';
import nodePath from 'node:path';
import { JET_bit, JET_err, JetApiName, JetError, type JetInstance } from '../jet/index.js';
import type { EmbeddedEngine, InstanceOptions } from './embedded-engine-api.js';
import { EmbeddedInstance, type InstanceConfig } from './embedded-instance.js';
import { embeddedDatabase } from './embedded-database.js';
import { injectFault } from './engine-faults.js';
import { lockInstanceDirectory } from './instance-lock.js';
import { prepareRestore } from './prepare-restore.js';
import * as backup from './embedded-backup.js';
import { resolveInstanceOptions } from './resolve-instance-options.js';
import { macrotaskPace } from './macrotask-pace.js';

const STOP_SERVICE_BITS =
  JET_bit.StopServiceBackgroundUserTasks | JET_bit.StopServiceQuiesceCaches | JET_bit.StopServiceStopAndEmitLog | JET_bit.StopServiceResume;
const TERM_BITS = JET_bit.TermComplete | JET_bit.TermAbrupt | JET_bit.TermStopBackup | JET_bit.TermDirty;

function grbitOf(grbit: unknown, fallback: number, what: string): number {
  if (grbit === undefined) return fallback;
  if (typeof grbit !== 'number') throw new TypeError(`${what} must be a number, got ${typeof grbit}`);
  return grbit;
}
const isBits = (g: number, allowed: number) => Number.isInteger(g) && g >= 0 && g <= 0xffffffff && (g & ~allowed) >>> 0 === 0;

/**
 * Create the embedded engine over `directory`: each instance lives in `<directory>/<name>/`.
 *
 * @example
 * const engine = await createEmbeddedEngine({ directory: '/tmp/ese' });
 * const inst = await engine.createInstance('main');
 * await engine.init(inst);
 * const db = await engine.createDatabase(inst, 'data.edb');
 * await db.put('k', 'v');
 * await engine.beginExternalBackup(inst);
 */
export async function createEmbeddedEngine(options: { directory: string }): Promise<EmbeddedEngine> {
  if (typeof options?.directory !== 'string' || options.directory === '')
    throw new TypeError('createEmbeddedEngine: directory must be a non-empty string');
  const directory = nodePath.resolve(options.directory);
  fs.mkdirSync(directory, { recursive: true });
  const instances = new Map<bigint, EmbeddedInstance>();
  /** Terminated instances, kept so that lastBackup and instanceInfo still answer for them. */
  const retired = new Map<bigint, EmbeddedInstance>();
  const retire = (i: EmbeddedInstance) => {
    instances.delete(i.handle);
    retired.set(i.handle, i);
  };
  // Every backup call does its work, then lets the event loop turn once per slice before it answers,
  // so a stop from a timer or a signal lands while a client loops on calls answered from memory.
  const answer = macrotaskPace();
  let nextHandle = 0x1000n;
  let restores = 0;

  /** ESE's instance checks, in order: invalid, service stopped, not initialized, terminating. */
  const live = (api: string, inst: unknown, opts: { serviceStopped?: boolean; initialized?: boolean } = {}): EmbeddedInstance => {
    if (typeof inst !== 'bigint') throw new TypeError(`${api}: instance must be a bigint, got ${typeof inst}`);
    const i = instances.get(inst);
    if (!i || i.state === 'terminated')
      throw new JetError(api, JET_err.InvalidParameter, { detail: `0x${inst.toString(16)} is not a live instance` });
    if (opts.serviceStopped !== false && i.serviceStopped) throw new JetError(api, JET_err.ClientRequestToStopJetService);
    if (opts.initialized !== false && i.state === 'created') throw new JetError(api, JET_err.NotInitialized);
    if (i.state === 'terminating') throw new JetError(api, JET_err.TermInProgress);
    return i;
  };
  const handleOf = (api: string, h: unknown): bigint => {
    if (typeof h !== 'bigint') throw new TypeError(`${api}: handle must be a bigint, got ${typeof h}`);
    return h;
  };

  const register = (name: string, dir: string, config: InstanceConfig): EmbeddedInstance => {
    const handle = nextHandle;
    nextHandle += 0x10n;
    const inst = new EmbeddedInstance(handle, name, dir, config);
    instances.set(handle, inst);
    return inst;
  };

  const addDatabase = async (instArg: JetInstance, fileName: string, create: boolean) => {
    const api = create ? 'JetCreateDatabase' : 'JetAttachDatabase';
    const inst = live(api, instArg);
    if (typeof fileName !== 'string') throw new TypeError(`${api}: fileName must be a string`);
    if (fileName === '') throw new JetError(api, JET_err.InvalidPath, { detail: 'empty file name' });
    const db = await inst.addDatabase(nodePath.resolve(inst.directory, fileName), create, api);
    return embeddedDatabase(inst, db, (a) => void live(a, instArg));
  };

  const logInfo = async (api: string, instArg: JetInstance) => {
    const i = live(api, instArg);
    await backup.fixLogRanges(i, api);
    return answer(backup.logInfo(i));
  };

  const engine: EmbeddedEngine = {
    backend: 'embedded',
    directory,

    async createInstance(name, opts?: InstanceOptions) {
      const api = 'JetCreateInstance';
      if (typeof name !== 'string') throw new TypeError(`${api}: name must be a string`);
      if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name))
        throw new JetError(api, JET_err.InvalidPath, { detail: `instance name ${JSON.stringify(name)} cannot name a directory` });
      for (const i of instances.values())
        if (i.name === name && i.state !== 'terminated') throw new JetError(api, JET_err.InstanceNameInUse, { detail: name });
      if (opts?.directory !== undefined && (typeof opts.directory !== 'string' || opts.directory === ''))
        throw new TypeError(`${api}: options.directory must be a non-empty path`);
      const dir = opts?.directory !== undefined ? nodePath.resolve(opts.directory) : nodePath.join(directory, name);
      return register(name, dir, resolveInstanceOptions(opts)).handle as JetInstance;
    },

    async init(instArg) {
      const inst = live('JetInit', instArg, { initialized: false });
      if (inst.state === 'initialized') {
        if (!inst.backupNotAllowed) throw new JetError('JetInit', JET_err.AlreadyInitialized);
        inst.backupNotAllowed = false; // re-armed after a refused Term2(Complete)
        return;
      }
      if (inst.state === 'initializing') throw new JetError('JetInit', JET_err.AlreadyInitialized);
      try {
        await inst.init();
      } catch (e) {
        inst.state = 'created';
        throw e;
      }
    },

    createDatabase: (inst, fileName) => addDatabase(inst, fileName, true),
    attachDatabase: (inst, fileName) => addDatabase(inst, fileName, false),

    instanceInfo(instArg) {
      if (typeof instArg !== 'bigint') throw new TypeError('instanceInfo: instance must be a bigint');
      const i = instances.get(instArg) ?? retired.get(instArg);
      if (!i) throw new JetError('JetGetInstanceInfo', JET_err.InvalidParameter);
      const state =
        i.state === 'terminated' ? 'terminated' : i.serviceStopped ? 'serviceStopped' : i.state === 'created' ? 'created' : 'initialized';
      return {
        name: i.name,
        directory: i.directory,
        ...i.config,
        state,
        currentGeneration: i.log?.generation ?? 0,
        checkpointGeneration: i.checkpointGeneration,
        logGenerations: i.state === 'terminated' || !fs.existsSync(i.directory) ? [] : i.logGenerations(),
        databases: [...i.databases.values()].map((d) => d.path),
      };
    },

    lastBackup(instArg) {
      const i = typeof instArg === 'bigint' ? (instances.get(instArg) ?? retired.get(instArg)) : undefined;
      return i?.backup.record ? { ...i.backup.record } : undefined;
    },

    // The lock-file fault is armed before JetInit; every other one needs an initialized instance.
    injectFault: async (inst, fault) => injectFault(live('injectFault', inst, { initialized: fault?.kind !== 'instanceLockWrite' }), fault),

    async beginExternalBackup(inst, grbit) {
      const g = grbitOf(grbit, 0, 'grbit');
      backup.beginExternalBackup(live(JetApiName.beginExternalBackup, inst), g);
      return answer(undefined);
    },
    async getAttachInfo(inst) {
      return answer(backup.getAttachInfo(live(JetApiName.getAttachInfo, inst)));
    },
    async openFile(inst, path) {
      const i = live(JetApiName.openFile, inst);
      if (typeof path !== 'string') throw new TypeError(`${JetApiName.openFile}: path must be a string`);
      return answer(backup.openFile(i, path));
    },
    async readFile(inst, handle, buffer) {
      const i = live(JetApiName.readFile, inst);
      const h = handleOf(JetApiName.readFile, handle);
      if (!(buffer instanceof Uint8Array)) throw new TypeError(`${JetApiName.readFile}: buffer must be a Uint8Array`);
      return answer(backup.readFile(i, h, buffer));
    },
    async closeFile(inst, handle) {
      backup.closeFile(live(JetApiName.closeFile, inst), handleOf(JetApiName.closeFile, handle));
      return answer(undefined);
    },
    getLogInfo: async (inst) => (await logInfo(JetApiName.getLogInfo, inst)).files,
    getLogInfo2: (inst) => logInfo(JetApiName.getLogInfo2, inst),
    async getTruncateLogInfo(inst) {
      const i = live(JetApiName.getTruncateLogInfo, inst);
      await backup.fixLogRanges(i, JetApiName.getTruncateLogInfo);
      return answer(backup.truncateLogInfo(i));
    },
    async truncateLog(inst) {
      await backup.truncateLog(live(JetApiName.truncateLog, inst));
    },
    async endExternalBackup(inst, grbit) {
      const i = live(JetApiName.endExternalBackup, inst);
      backup.endExternalBackup(i, grbitOf(grbit, JET_bit.BackupEndNormal, 'grbit'));
      return answer(undefined);
    },
    async stopService(inst, grbit) {
      const api = JetApiName.stopService;
      const i = live(api, inst);
      const g = grbitOf(grbit, JET_bit.StopServiceAll, 'grbit');
      if (!isBits(g, STOP_SERVICE_BITS)) throw new JetError(api, JET_err.InvalidGrbit, { detail: `grbit 0x${g.toString(16)}` });
      if (g === JET_bit.StopServiceAll) {
        i.serviceStopped = true;
        i.backup.stopped = true;
      }
    },
    async term(inst, grbit) {
      const api = JetApiName.term;
      const i = live(api, inst, { serviceStopped: false, initialized: false });
      const g = grbitOf(grbit, JET_bit.TermAbrupt, 'grbit');
      if (!isBits(g, TERM_BITS)) throw new JetError(api, JET_err.InvalidGrbit, { detail: `grbit 0x${g.toString(16)}` });
      const complete = (g & (JET_bit.TermAbrupt | JET_bit.TermDirty | JET_bit.TermStopBackup)) === 0;
      if (complete && i.backup.inProgress) {
        i.backupNotAllowed = true;
        throw new JetError(api, JET_err.BackupInProgress, { detail: 'JET_bitTermComplete with a backup running' });
      }
      if (i.backup.inProgress) i.backup.finish('abortedByServer');
      if (i.state === 'created') {
        i.state = 'terminated';
      } else {
        await i.terminate((g & (JET_bit.TermAbrupt | JET_bit.TermDirty)) === 0);
      }
      retire(i);
    },
    stopBackup(inst) {
      const i = live(JetApiName.stopBackup, inst, { serviceStopped: false, initialized: false });
      i.backup.stopped = true;
    },

    async restore(files, opts) {
      if (typeof opts?.directory !== 'string' || opts.directory === '')
        throw new TypeError('restore: options.directory must be a non-empty string');
      const dir = nodePath.resolve(opts.directory);
      const name = opts.name ?? `restore-${++restores}-${nodePath.basename(dir)}`;
      for (const i of instances.values())
        if (i.name === name) throw new JetError('JetRestoreInstance', JET_err.InstanceNameInUse, { detail: name });
      // The target is locked before anything is laid out in it, so two restores into one directory
      // (or a restore into an open instance's directory) cannot interleave.
      const created = !fs.existsSync(dir);
      fs.mkdirSync(dir, { recursive: true });
      const lock = lockInstanceDirectory(dir, 'JetRestoreInstance');
      let inst: EmbeddedInstance | undefined;
      let prepared: Awaited<ReturnType<typeof prepareRestore>>;
      try {
        prepared = await prepareRestore(files, dir);
        inst = register(name, dir, {
          pageSize: prepared.pageSize,
          baseName: prepared.baseName,
          logFileSize: prepared.logFileSize,
          circularLogging: false,
          recovery: true,
        });
        await inst.init(prepared.remap, lock);
      } catch (e) {
        if (inst) instances.delete(inst.handle);
        lock.release();
        if (created) {
          try {
            fs.rmdirSync(dir); // only if empty: what prepareRestore laid out stays, as before
          } catch {
            // not empty
          }
        }
        throw e;
      }
      const restored = inst;
      const databases = [...restored.databases.values()].map((d) => embeddedDatabase(restored, d, (a) => void live(a, restored.handle)));
      return { instance: restored.handle as JetInstance, directory: dir, databases, genLow: prepared.genLow, genHigh: prepared.genHigh };
    },

    async close() {
      for (const i of [...instances.values()]) {
        if (i.state === 'terminated') continue;
        if (i.backup.inProgress) i.backup.finish('abortedByServer');
        if (i.state !== 'created') await i.terminate(true);
        else i.state = 'terminated';
        retire(i);
      }
    },
  };
  return engine;
}
