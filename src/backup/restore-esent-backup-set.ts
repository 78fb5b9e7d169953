import fs from 'node:fs';
import path from 'node:path';
import { JET_param, createEsentBackend, openKeyValueTable, readRows, type EsentBackend } from '../esent/index.js';
import { JET_bit, check } from '../jet/index.js';
import { BackupSetRestoreError } from './restore-backup-set.js';
import { verifyBackupSet, type BackupSetReport } from './verify-backup-set.js';

/** Options of {@link restoreEsentBackupSet}. */
export interface RestoreEsentBackupSetOptions {
  /** An empty or absent directory: databases go to `DIR/db/`, logs and the checkpoint to `DIR/logs/`. */
  to: string;
  /** esent.dll to load (default: the system one on Windows). */
  library?: string;
  /** The name of the instance that opens the restored files (default: `restore-` and the directory's name). */
  name?: string;
  /** Read every row of this key-value table (createKeyValueTable's layout) back from each database. */
  readBack?: { table: string };
  /** The HMAC key the set was signed with: its manifest.sig must be present and match (verifyBackupSet). */
  signKey?: Uint8Array;
}

/** What {@link restoreEsentBackupSet} restored. */
export interface EsentRestoreReport {
  set: BackupSetReport;
  /** The restored databases: each attached (JetAttachDatabaseW) and opened (JetOpenDatabaseW) by a fresh instance. */
  databases: Array<{ path: string; attach: number; rows?: Array<[string, Uint8Array]> }>;
  /** Where the logs and the checkpoint of the restored instance are. */
  logPath: string;
  genLow: number;
  genHigh: number;
}

const dirParam = (p: string) => path.resolve(p) + path.sep;

/**
 * Restores a full backup set with esent.dll itself: verifies it, copies each database to `DIR/db/`,
 * calls JetExternalRestore2W (databases at their new paths, logs from the set, replayed into `DIR/logs/`),
 * then opens the result the way an application would: JetCreateInstance2W and JetInit over `DIR/logs/`,
 * JetAttachDatabaseW (JET_wrnDatabaseAttached is fine: recovery re-attached it) and JetOpenDatabaseW for
 * every database, and a clean JetTerm2.
 *
 * With `readBack`, every row of that key-value table is read back through JetOpenTableW, JetMove and
 * JetRetrieveColumn. Partial: one full set only (incremental sets after it are refused).
 *
 * @throws BackupSetRestoreError when the set does not verify, is not full, or `to` is not empty;
 *   EsentLoadError when esent.dll cannot be used; JetError from ESE.
 * @example
 * const r = await restoreEsentBackupSet('/b/full-1', { to: 'C:\\restore\\app' });
 */
export async function restoreEsentBackupSet(set: string, options: RestoreEsentBackupSetOptions): Promise<EsentRestoreReport> {
  if (typeof set !== 'string' || set === '') throw new TypeError('restoreEsentBackupSet: set must be a non-empty path');
  if (typeof options?.to !== 'string' || options.to === '')
    throw new TypeError('restoreEsentBackupSet: options.to must be a non-empty path');
  const report = await verifyBackupSet(set, options.signKey ? { signKey: options.signKey } : {});
  const manifest = report.manifest;
  if (!report.ok || !manifest)
    throw new BackupSetRestoreError(`${set} does not verify: ${report.problems.map((p) => p.message).join('; ')}`, [report]);
  if (manifest.mode !== 'full')
    throw new BackupSetRestoreError(`${set} is an ${manifest.mode} set: --engine esent restores one full set`, [report]);
  if (!manifest.logGenerations) throw new BackupSetRestoreError(`${set} holds no logs: nothing to replay`, [report]);
  const to = path.resolve(options.to);
  if (fs.existsSync(to) && fs.readdirSync(to).length > 0) throw new BackupSetRestoreError(`${to} is not empty`, [report]);
  const dbDir = path.join(to, 'db');
  const logDir = path.join(to, 'logs');
  fs.mkdirSync(dbDir, { recursive: true });

  const dbs = manifest.files.filter((f) => f.role === 'db');
  const rstmap = dbs.map((f) => ({ szDatabaseName: f.source, szNewDatabaseName: path.join(dbDir, f.name) }));
  // ESE restores from copies at their target paths: the streamed bytes, trailer page and all.
  for (const [i, f] of dbs.entries()) fs.copyFileSync(path.join(report.dir, f.name), rstmap[i]!.szNewDatabaseName);
  const firstLog = manifest.files.find((f) => f.role === 'log');
  const baseName = (firstLog?.name ?? 'edb').slice(0, 3);

  const api: EsentBackend = createEsentBackend(options.library ? { library: options.library } : {});
  const lib = api.library;
  check(
    'JetExternalRestore2W',
    await lib.JetExternalRestore2W({
      checkpointPath: dirParam(logDir),
      logPath: dirParam(logDir),
      rstmap,
      backupLogPath: dirParam(report.dir),
      logInfo: { ulGenLow: manifest.logGenerations.low, ulGenHigh: manifest.logGenerations.high, szBaseName: baseName },
      targetInstanceName: null,
      targetInstanceLogPath: null,
      targetInstanceCheckpointPath: null,
    }),
  );

  const name = options.name ?? `restore-${path.basename(to)}`;
  const created = await lib.JetCreateInstance2W(name, name, 0);
  check('JetCreateInstance2W', created.err);
  const inst = created.instance;
  const databases: EsentRestoreReport['databases'] = [];
  try {
    const set = async (param: number, value: bigint, text: string | null) =>
      check('JetSetSystemParameterW', await lib.JetSetSystemParameterW(inst, 0n, param, value, text));
    await set(JET_param.SystemPath, 0n, dirParam(logDir));
    await set(JET_param.LogFilePath, 0n, dirParam(logDir));
    await set(JET_param.TempPath, 0n, `${dirParam(logDir)}tmp.edb`);
    await set(JET_param.BaseName, 0n, baseName);
    await set(JET_param.DatabasePageSize, BigInt(manifest.pageSize), null);
    check('JetInit', (await lib.JetInit(inst)).err);
    const session = await lib.JetBeginSession(inst);
    check('JetBeginSession', session.err);
    try {
      for (const { szNewDatabaseName: file } of rstmap) {
        const attach = await lib.JetAttachDatabaseW(session.sesid, file, 0);
        check('JetAttachDatabaseW', attach);
        const opened = await lib.JetOpenDatabaseW(session.sesid, file, 0);
        check('JetOpenDatabaseW', opened.err);
        let rows: Array<[string, Uint8Array]> | undefined;
        if (options.readBack) {
          const table = await openKeyValueTable(lib, session.sesid, opened.dbid, options.readBack.table);
          rows = await readRows(lib, table);
          check('JetCloseTable', await lib.JetCloseTable(session.sesid, table.tableid));
        }
        check('JetCloseDatabase', await lib.JetCloseDatabase(session.sesid, opened.dbid, 0));
        databases.push({ path: file, attach, ...(rows ? { rows } : {}) });
      }
    } finally {
      await lib.JetEndSession(session.sesid, 0);
    }
    await api.term(inst, JET_bit.TermComplete);
  } catch (e) {
    await api.term(inst, JET_bit.TermAbrupt).catch(() => undefined);
    throw e;
  }
  return { set: report, databases, logPath: logDir, genLow: manifest.logGenerations.low, genHigh: manifest.logGenerations.high };
}
