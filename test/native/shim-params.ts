import nodePath from 'node:path';
import koffi from 'koffi';
import type { EmbeddedEngine, InstanceOptions, PageSize } from '../../src/engine/index.js';
import { JET_param } from '../../src/esent/index.js';
import { JET_err, JetError, type JetInstance } from '../../src/jet/index.js';

/** Handles of instances created through JetCreateInstance2W, before JetInit: above 2^53, far from the engine's. */
const PENDING_BASE = 0x5a5a_0000_0000_0000n;
const JET_errInvalidSesid = -1104;
/** JET_instanceNil (~0) as the host receives it, widened from a pointer of this process's width. */
const JET_instanceNilHere = (1n << BigInt(8 * koffi.sizeof('uintptr_t'))) - 1n;

interface Pending {
  name: string;
  options: InstanceOptions;
  /** JET_paramSystemPath / TempPath / LogFilePath: accepted, recorded, not applied (the engine keeps its layout). */
  paths: Record<number, string>;
}

/**
 * The shim's private-instance calls over the embedded engine. The engine fixes an instance's options
 * when it creates it, while ESE takes them through JetSetSystemParameterW between JetCreateInstance2W
 * and JetInit: so CreateInstance hands out a pending handle, and JetInit creates and initializes the
 * engine instance and maps the pending handle to it for every later call (`real`).
 */
export function shimParams(engine: EmbeddedEngine) {
  const pending = new Map<bigint, Pending>();
  const aliases = new Map<bigint, bigint>();
  const sessions = new Map<bigint, bigint>();
  const seen = new Set<bigint>();
  /** Instances JetExternalRestore2W built, by their log directory: a later JetInit with that log path adopts one. */
  const restored = new Map<string, JetInstance>();

  let next = 0n;
  let nextSession = 0x5e5n;
  let nextDbid = 0n;

  const real = (h: bigint): JetInstance => {
    seen.add(h);
    return aliases.get(h) ?? h;
  };
  const configParam = new Set<number>([
    JET_param.BaseName,
    JET_param.LogFileSize,
    JET_param.CircularLog,
    JET_param.Recovery,
    JET_param.DatabasePageSize,
  ]);

  return {
    real,
    create(name: string | null, _displayName: string | null): bigint {
      if (!name) throw new JetError('JetCreateInstance2W', JET_err.InvalidParameter, { detail: 'the shim needs an instance name' });
      for (const p of pending.values()) if (p.name === name) throw new JetError('JetCreateInstance2W', JET_err.InstanceNameInUse);
      const h = PENDING_BASE + ++next * 0x10n;
      pending.set(h, { name, options: {}, paths: {} });
      seen.add(h);
      return h;
    },
    set(inst: bigint, paramid: number, lParam: bigint, sz: string | null, global: boolean): number {
      if (global) return 0; // global parameters are accepted and have no effect here
      const p = pending.get(inst);
      if (!p) {
        try {
          engine.instanceInfo(real(inst));
        } catch {
          return JET_err.InvalidParameter;
        }
        return configParam.has(paramid) ? JET_err.AlreadyInitialized : 0;
      }
      const n = Number(lParam);
      if (paramid === JET_param.DatabasePageSize) p.options.pageSize = n as PageSize;
      else if (paramid === JET_param.BaseName) p.options.baseName = sz ?? '';
      else if (paramid === JET_param.LogFileSize) p.options.logFileSize = n * 1024;
      else if (paramid === JET_param.CircularLog) p.options.circularLogging = n !== 0;
      else if (paramid === JET_param.Recovery) p.options.recovery = (sz ?? 'On').toLowerCase() !== 'off';
      else if (sz !== null) p.paths[paramid] = sz;
      return 0;
    },
    async init(inst: bigint): Promise<void> {
      const p = pending.get(inst);
      if (!p) return engine.init(real(inst));
      const logPath = p.paths[JET_param.LogFilePath];
      const adopted = logPath === undefined ? undefined : restored.get(nodePath.resolve(logPath));
      if (adopted !== undefined) {
        // JetInit over the files a restore replayed: the engine's restore already ran that recovery.
        restored.delete(nodePath.resolve(logPath!));
        pending.delete(inst);
        aliases.set(inst, adopted);
        return;
      }
      const created = await engine.createInstance(p.name, p.options);
      pending.delete(inst);
      aliases.set(inst, created);
      await engine.init(created);
    },
    /**
     * Whether `h` names no instance at all (never handed out: not pending, not an engine instance, live or
     * terminated). esent.dll probes every non-NULL, non-Nil instance before using it (JET_VALIDATE_INSTANCE
     * in jetapi.cxx) and answers -1115 for such a handle; a terminated one goes on to the engine's -1003.
     */
    isGarbage(h: bigint): boolean {
      if (h === 0n || h === JET_instanceNilHere || pending.has(h) || aliases.has(h)) return false;
      try {
        engine.instanceInfo(h);
        return false;
      } catch {
        return true;
      }
    },
    /** Whether `h` is an instance created by JetCreateInstance2W and not yet initialized. */
    isPending: (h: bigint): boolean => pending.has(h),
    /** JetTerm2 of an instance never initialized: it is gone. */
    dropPending: (h: bigint): boolean => pending.delete(h),
    beginSession(inst: bigint): bigint {
      if (pending.has(inst)) throw new JetError('JetBeginSession', JET_err.NotInitialized);
      const info = engine.instanceInfo(real(inst));
      if (info.state === 'created') throw new JetError('JetBeginSession', JET_err.NotInitialized);
      const sesid = ++nextSession;
      sessions.set(sesid, inst);
      return sesid;
    },
    sessionInstance(sesid: bigint): JetInstance {
      const inst = sessions.get(sesid);
      if (inst === undefined) throw new JetError('JetAttachDatabaseW', JET_errInvalidSesid);
      return real(inst);
    },
    nextDbid: (): bigint => ++nextDbid,
    /** Record the instance a restore built in `logDirectory`. */
    adoptRestored(logDirectory: string, inst: JetInstance): void {
      restored.set(nodePath.resolve(logDirectory), inst);
    },
    /** Whether `inst` came out of a restore (its databases keep the engine's layout, matched by file name). */
    attachedByName(inst: JetInstance, file: string): string | undefined {
      const name = nodePath.basename(file).toLowerCase();
      return engine.instanceInfo(inst).databases.find((d) => nodePath.basename(d).toLowerCase() === name);
    },

    endSession: (sesid: bigint): number => (sessions.delete(sesid) ? 0 : JET_errInvalidSesid),
    /** Live instances this host has seen, under the handles their callers know. */
    instances(): Array<{ instance: bigint; name: string; databases: string[] }> {
      const out: Array<{ instance: bigint; name: string; databases: string[] }> = [];
      for (const h of seen) {
        if (pending.has(h)) continue;
        try {
          const info = engine.instanceInfo(real(h));
          if (info.state !== 'terminated') out.push({ instance: h, name: info.name, databases: info.databases });
        } catch {
          // not an instance (a garbage handle a test passed), or terminated
        }
      }
      return out;
    },
  };
}
