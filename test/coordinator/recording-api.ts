import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedEngine, type EmbeddedEngine, type InstanceOptions } from '../../src/engine/index.js';
import type { JetBackupApi, JetBackupMethod, JetInstance } from '../../src/jet/index.js';

/** One call that reached the backend. */
export interface Recorded {
  method: JetBackupMethod;
  inst: JetInstance;
}

/** The real engine behind a wrapper that records every call reaching it (no mock: every call is forwarded). */
export interface RecordingApi extends JetBackupApi {
  readonly calls: Recorded[];
  /** Calls of `method` (for `inst`, when given). */
  count(method: JetBackupMethod, inst?: JetInstance): number;
}

/** Wrap `api`, recording each call before forwarding it. */
export function recordingApi(api: JetBackupApi): RecordingApi {
  const calls: Recorded[] = [];
  const wrap = <M extends Exclude<JetBackupMethod, 'stopBackup'>>(method: M) =>
    ((inst: JetInstance, ...rest: unknown[]) => {
      calls.push({ method, inst });
      return (api[method] as (...a: unknown[]) => unknown)(inst, ...rest);
    }) as JetBackupApi[M];
  return {
    backend: `recording(${api.backend})`,
    calls,
    count: (method, inst) => calls.filter((c) => c.method === method && (inst === undefined || c.inst === inst)).length,
    beginExternalBackup: wrap('beginExternalBackup'),
    getAttachInfo: wrap('getAttachInfo'),
    openFile: wrap('openFile'),
    readFile: wrap('readFile'),
    closeFile: wrap('closeFile'),
    getLogInfo: wrap('getLogInfo'),
    getLogInfo2: wrap('getLogInfo2'),
    getTruncateLogInfo: wrap('getTruncateLogInfo'),
    truncateLog: wrap('truncateLog'),
    endExternalBackup: wrap('endExternalBackup'),
    stopService: wrap('stopService'),
    term: wrap('term'),
    stopBackup(inst) {
      calls.push({ method: 'stopBackup', inst });
      api.stopBackup(inst);
    },
  };
}

/** A real embedded engine in a fresh temp directory. */
export interface EngineFixture {
  engine: EmbeddedEngine;
  directory: string;
  /** Create, init and fill an instance: one database, `keys` puts. */
  instance(name: string, options?: InstanceOptions & { keys?: number }): Promise<JetInstance>;
  close(): Promise<void>;
}

/** Open an engine in a temp directory; `close` terminates it and removes the directory. */
export async function engineFixture(prefix = 'ese-coord-'): Promise<EngineFixture> {
  const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
  const engine = await createEmbeddedEngine({ directory });
  return {
    engine,
    directory,
    async instance(name, { keys = 8, ...options } = {}) {
      const inst = await engine.createInstance(name, { logFileSize: 64 * 1024, ...options });
      await engine.init(inst);
      const db = await engine.createDatabase(inst, 'test.edb');
      for (let i = 0; i < keys; i++) await db.put(`k${i}`, `value ${i} `.repeat(40));
      return inst;
    },
    async close() {
      await engine.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A legal read size for every file: max(64 KiB, 3 pages). */
export const READ_SIZE = 64 * 1024;
