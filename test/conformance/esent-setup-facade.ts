import fs from 'node:fs';
import path from 'node:path';
import { TestRunner } from 'vitest';
import type { EmbeddedDatabase, EmbeddedEngine, EmbeddedInstanceInfo, InstanceOptions } from '../../src/engine/embedded-engine-api.js';
import { JET_param, createKeyValueTable, insertRows, readRows, type EsentBackend, type KeyValueTable } from '../../src/esent/index.js';
import { JET_bit, check, type JetInstance } from '../../src/jet/index.js';

/**
 * Skip the running test: it needs `what`, which the façade cannot give through ESE's calls (an
 * embedded-engine hook with no ESE equivalent, or a call not bound yet; `what` says which). The reason is
 * printed and shows in the report as the skip's note.
 */
function noEseEquivalent(what: string): never {
  const test = TestRunner.getCurrentTest();
  const reason = `needs ${what}: skipped on this backend, whose setup goes through ESE's calls`;
  if (!test?.context) throw new Error(reason);
  console.info(`skipped: ${test.name}: ${reason}`);
  return test.context.skip(reason);
}

interface FacadeInstance {
  inst: JetInstance;
  name: string;
  directory: string;
  options: InstanceOptions;
  sesid?: bigint;
  databases: string[];
}

/**
 * The conformance suite's setup (`engine` of a BackendSession) over ESE's own calls through the koffi
 * binding: instances with JetCreateInstance2W, JetSetSystemParameterW and JetInit; databases with
 * JetCreateDatabase2W and a key/value table; rows written with JetPrepareUpdate/JetSetColumn/JetUpdate in
 * transactions. `get`, `entries` and `size` answer from the rows committed through it (read back with
 * JetMove/JetRetrieveColumn by `readAll`). `lastBackup`, `injectFault`, `restore` and instanceInfo's
 * generation and state fields have no ESE call: a test that touches them is skipped, saying so.
 */
export function esentSetupFacade(api: EsentBackend, root: string): EmbeddedEngine & { close(): Promise<void> } {
  const lib = api.library;
  const instances = new Map<JetInstance, FacadeInstance>();
  const of = (inst: JetInstance): FacadeInstance => {
    const i = instances.get(inst);
    if (!i) throw new TypeError(`esent facade: ${inst} is not an instance it created`);
    return i;
  };
  const session = async (i: FacadeInstance): Promise<bigint> => {
    if (i.sesid === undefined) {
      const s = await lib.JetBeginSession(i.inst);
      check('JetBeginSession', s.err);
      i.sesid = s.sesid;
    }
    return i.sesid;
  };
  const database = (inst: JetInstance, file: string, table: KeyValueTable): EmbeddedDatabase => {
    const rows = new Map<string, Uint8Array>();
    // One cursor: an update is prepared, set and written before the next begins (the suite puts 8 at once).
    let queue: Promise<unknown> = Promise.resolve();
    return {
      path: file,
      instance: inst,
      put(key, value) {
        const bytes = typeof value === 'string' ? Buffer.from(value) : value;
        const done = queue.then(async () => {
          if (rows.has(key)) noEseEquivalent('db.put replacing a row (the façade inserts only; JET_prepReplace is not used yet)');
          await insertRows(lib, table, [[key, bytes]]);
          rows.set(key, bytes);
        });
        queue = done.catch(() => undefined);
        return done;
      },
      delete: () => noEseEquivalent('db.delete (JetDelete is not bound yet)'),
      get: (key) => rows.get(key),
      entries: () => [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      get size() {
        return rows.size;
      },
      readAll: () => readRows(lib, table),
    } as EmbeddedDatabase;
  };

  const facade = {
    directory: root,
    async createInstance(name: string, options: InstanceOptions = {}) {
      const created = await lib.JetCreateInstance2W(name, name, 0);
      check('JetCreateInstance2W', created.err);
      const inst = created.instance as JetInstance;
      const directory = path.join(root, name);
      fs.mkdirSync(directory, { recursive: true });
      const set = async (param: number, value: bigint, text: string | null) =>
        check('JetSetSystemParameterW', await lib.JetSetSystemParameterW(inst, 0n, param, value, text));
      await set(JET_param.SystemPath, 0n, directory + path.sep);
      await set(JET_param.LogFilePath, 0n, directory + path.sep);
      await set(JET_param.TempPath, 0n, path.join(directory, 'tmp.edb'));
      if (options.logFileSize) await set(JET_param.LogFileSize, BigInt(options.logFileSize / 1024), null);
      if (options.pageSize) await set(JET_param.DatabasePageSize, BigInt(options.pageSize), null);
      if (options.baseName) await set(JET_param.BaseName, 0n, options.baseName);
      if (options.circularLogging) await set(JET_param.CircularLog, 1n, null);
      if (options.recovery === false) await set(JET_param.Recovery, 0n, 'Off');
      instances.set(inst, { inst, name, directory, options, databases: [] });
      return inst;
    },
    async init(inst: JetInstance) {
      of(inst);
      check('JetInit', (await lib.JetInit(inst)).err);
    },
    async createDatabase(inst: JetInstance, fileName: string) {
      const i = of(inst);
      const file = path.resolve(i.directory, fileName);
      const sesid = await session(i);
      const db = await lib.JetCreateDatabase2W(sesid, file, 0, 0);
      check('JetCreateDatabase2W', db.err);
      i.databases.push(file);
      return database(inst, file, await createKeyValueTable(lib, sesid, db.dbid, 'rows'));
    },
    attachDatabase: () => noEseEquivalent('attachDatabase (not written for the façade yet)'),
    instanceInfo(inst: JetInstance): EmbeddedInstanceInfo {
      const i = of(inst);
      const known = {
        name: i.name,
        directory: i.directory,
        pageSize: i.options.pageSize ?? 4096,
        baseName: i.options.baseName ?? 'edb',
        logFileSize: i.options.logFileSize ?? 1024 * 1024,
        circularLogging: i.options.circularLogging ?? false,
        recovery: i.options.recovery ?? true,
        databases: [...i.databases],
      };
      const unknown = (field: string) => ({
        get: () => noEseEquivalent(`instanceInfo().${field} (the embedded engine's view; no ESE call answers it)`),
        enumerable: true,
      });
      return Object.defineProperties(known, {
        state: unknown('state'),
        currentGeneration: unknown('currentGeneration'),
        checkpointGeneration: unknown('checkpointGeneration'),
        logGenerations: unknown('logGenerations'),
      }) as EmbeddedInstanceInfo;
    },
    lastBackup: () => noEseEquivalent("lastBackup (the embedded engine's record of a session; ESE has no such call)"),
    injectFault: () => noEseEquivalent('injectFault (the embedded engine damages its own files; ESE has no such call)'),
    restore: () => noEseEquivalent("engine.restore (the embedded engine's restore; restoreEsentBackupSet is tested in test/esent)"),
    async close() {
      for (const inst of instances.keys()) await api.term(inst, JET_bit.TermAbrupt).catch(() => undefined);
    },
  };
  // Every JetBackupApi call goes to the backend under test.
  return new Proxy(facade, {
    get: (t, k) => (k in t ? t[k as keyof typeof t] : (api as unknown as Record<string | symbol, unknown>)[k]),
  }) as unknown as EmbeddedEngine & { close(): Promise<void> };
}
