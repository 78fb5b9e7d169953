import path from 'node:path';
import { createEsentBackend, EsentLoadError, JET_param, type EsentBackend } from '../esent/index.js';
import { JET_bit, check } from '../jet/index.js';
import type { OpenedInstance } from './engine-spec.js';
import { UsageError } from './usage-error.js';

/** Options of {@link openEsentInstance}: the JetSetSystemParameter values and the databases to attach. */
export interface EsentInstanceOptions {
  /** The instance name (JetCreateInstance2W). */
  name: string;
  /** JET_paramSystemPath: where the checkpoint file lives. */
  systemPath: string;
  /** JET_paramLogFilePath (default: the system path). */
  logPath?: string;
  /** JET_paramBaseName (default ESE's `edb`). */
  baseName?: string;
  /** JET_paramDatabasePageSize (default ESE's). */
  pageSize?: number;
  /** Databases to attach after recovery (JetAttachDatabaseW). */
  databases: string[];
  /** esent.dll to load (default: the system one on Windows). */
  library?: string;
}

const dirParam = (p: string) => path.resolve(p) + path.sep;

/**
 * Opens an ESE instance of esent.dll in this process through the private-instance calls:
 * JetCreateInstance2W, JetSetSystemParameterW (system, log and temp paths, base name, page size),
 * JetInit (recovery replays the logs), then JetBeginSession / JetAttachDatabaseW for each database.
 * ESE instances live inside one process: a backup of another process's instance is that process's job.
 *
 * @throws UsageError without databases; EsentLoadError off Windows without `library`
 *   (`ESENT_PLATFORM_UNSUPPORTED`) or when esent.dll cannot be used; JetError from ESE.
 * @example
 * const opened = await openEsentInstance({ name: 'app', systemPath: 'C:\\app\\db', databases: ['C:\\app\\db\\app.edb'] });
 */
export async function openEsentInstance(options: EsentInstanceOptions): Promise<OpenedInstance> {
  if (options.databases.length === 0)
    throw new UsageError('--engine esent needs the databases to attach: --database FILE (repeat it for several)');
  let api: EsentBackend;
  try {
    api = createEsentBackend(options.library ? { library: options.library } : {});
  } catch (e) {
    if (!(e instanceof EsentLoadError) || e.code !== 'ESENT_PLATFORM_UNSUPPORTED') throw e;
    // The library's wording names its option; the CLI names its flag.
    throw new EsentLoadError(
      e.code,
      `--engine esent: esent.dll exists only on Windows (this is ${e.platform}); --esent-library PATH loads a library with its exports`,
      { platform: e.platform, cause: e },
    );
  }
  const lib = api.library;
  const created = await lib.JetCreateInstance2W(options.name, options.name, 0);
  check('JetCreateInstance2W', created.err);
  const instance = created.instance;
  try {
    const system = dirParam(options.systemPath);
    const set = async (param: number, value: bigint, text: string | null) =>
      check('JetSetSystemParameterW', await lib.JetSetSystemParameterW(instance, 0n, param, value, text));
    await set(JET_param.SystemPath, 0n, system);
    await set(JET_param.LogFilePath, 0n, options.logPath ? dirParam(options.logPath) : system);
    await set(JET_param.TempPath, 0n, `${system}tmp.edb`);
    if (options.baseName) await set(JET_param.BaseName, 0n, options.baseName);
    if (options.pageSize) await set(JET_param.DatabasePageSize, BigInt(options.pageSize), null);
    check('JetInit', (await lib.JetInit(instance)).err);
    const session = await lib.JetBeginSession(instance);
    check('JetBeginSession', session.err);
    try {
      for (const db of options.databases) check('JetAttachDatabaseW', await lib.JetAttachDatabaseW(session.sesid, path.resolve(db), 0));
    } finally {
      await lib.JetEndSession(session.sesid, 0);
    }
  } catch (e) {
    await api.term(instance, JET_bit.TermAbrupt).catch(() => undefined);
    throw e;
  }
  return {
    api,
    instance,
    name: options.name,
    description: `esent:${options.name}`,
    facts: options.pageSize ? { pageSize: options.pageSize } : {},
    async close() {
      // A clean Term2 first; with a session somehow still open ESE answers -505, then abrupt.
      await api.term(instance, JET_bit.TermComplete).catch(() => api.term(instance, JET_bit.TermAbrupt).catch(() => undefined));
    },
  };
}
