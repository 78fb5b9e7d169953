import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { restoreEsentBackupSet, verifyBackupSet } from '../backup/index.js';
import { JET_param, createEsentBackend, createKeyValueTable, insertRows, openKeyValueTable, type EsentBackend } from '../esent/index.js';
import { JET_bit, check } from '../jet/index.js';
import type { CliOutput } from './cli-output.js';
import type { OpenedInstance } from './engine-spec.js';
import { exitCodeOfOutcome, exitCodes, type ExitCode } from './exit-codes.js';
import { formatBytes } from './format-bytes.js';
import type { ProgressDisplayOptions } from './progress-display.js';
import { runCliBackup } from './run-cli-backup.js';

/** Options of `ese-backup demo --engine esent`. */
export interface DemoEsentCommandOptions {
  /** Where the instance (`DIR/esent/`), the sets and the restores go (default: a temporary directory, removed). */
  dir?: string;
  /** Database size in MiB (rows of 4 KiB). */
  size: number;
  stopAfter?: number;
  /** Pace of the backup's reads in MiB/s (0: unpaced). */
  rate: number;
  /** esent.dll to load (default: the system one on Windows). */
  library?: string;
  progress: ProgressDisplayOptions | false;
}

const TABLE = 'rows';
const ROW_BYTES = 4096;
const keyOf = (i: number) => `row-${String(i).padStart(8, '0')}`;
const liveKeyOf = (i: number) => `live-${String(i).padStart(8, '0')}`;
const valueOf = (key: string) => Buffer.from(`${key} `.repeat(Math.ceil(ROW_BYTES / (key.length + 1))).slice(0, ROW_BYTES), 'latin1');
const dirParam = (p: string) => path.resolve(p) + path.sep;

/**
 * `ese-backup demo --engine esent`: the main job on a real ESE database. A private instance of esent.dll in
 * `DIR/esent/`, a database made with JetCreateDatabase2W holding a table with a key and a value column,
 * filled to `size` MiB in transactions; a writer on its own session committing one row per transaction
 * (JetBeginTransaction, JetPrepareUpdate, JetSetColumn, JetUpdate, JetCommitTransaction2) while a full
 * streaming backup runs with progress, stoppable by Ctrl-C, `--stop-after`; then the set is verified,
 * restored with ESE's own calls (restoreEsentBackupSet) and checked row by row: every row of the fill and
 * every write committed before the log phase must come back byte for byte.
 *
 * @returns 0 restored and complete, 130 stopped, 1 anything else.
 */
export async function demoEsentCommand(options: DemoEsentCommandOptions, out: CliOutput): Promise<ExitCode> {
  const root = options.dir ? path.resolve(options.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'ese-backup-demo-esent-'));
  const { c } = out;
  const api: EsentBackend = createEsentBackend(options.library ? { library: options.library } : {});
  const lib = api.library;
  const home = path.join(root, 'esent');
  fs.mkdirSync(home, { recursive: true });
  out.line(c.bold(`ese-backup demo: esent.dll (${lib.path}) in ${home}`));
  const created = await lib.JetCreateInstance2W('ese-backup-demo', 'ese-backup demo', 0);
  check('JetCreateInstance2W', created.err);
  const inst = created.instance;
  const report: Record<string, unknown> = { command: 'demo', engine: 'esent', dir: root };
  let writing = false;
  let writerDone: Promise<void> = Promise.resolve();
  try {
    const set = async (param: number, value: bigint, text: string | null) =>
      check('JetSetSystemParameterW', await lib.JetSetSystemParameterW(inst, 0n, param, value, text));
    await set(JET_param.SystemPath, 0n, dirParam(home));
    await set(JET_param.LogFilePath, 0n, dirParam(home));
    await set(JET_param.TempPath, 0n, `${dirParam(home)}tmp.edb`);
    await set(JET_param.CircularLog, 0n, null);
    await set(JET_param.LogFileSize, 1024n, null); // KiB
    check('JetInit', (await lib.JetInit(inst)).err);
    const session = await lib.JetBeginSession(inst);
    check('JetBeginSession', session.err);
    const file = path.join(home, 'demo.edb');
    const db = await lib.JetCreateDatabase2W(session.sesid, file, 0, 0);
    check('JetCreateDatabase2W', db.err);
    const table = await createKeyValueTable(lib, session.sesid, db.dbid, TABLE);
    const rows = Math.max(1, Math.round((options.size * 1024 * 1024) / ROW_BYTES));
    for (let i = 0; i < rows; i += 64)
      await insertRows(
        lib,
        table,
        Array.from({ length: Math.min(64, rows - i) }, (_, j) => [keyOf(i + j), valueOf(keyOf(i + j))] as const),
      );
    out.line(`database ${file}: table '${TABLE}' (key, value), ${rows} rows of ${formatBytes(ROW_BYTES)} in transactions of 64`);

    // The writer: its own session, one row per transaction, until the backup ends.
    const wsession = await lib.JetBeginSession(inst);
    check('JetBeginSession', wsession.err);
    const wdb = await lib.JetOpenDatabaseW(wsession.sesid, file, 0);
    check('JetOpenDatabaseW', wdb.err);
    const wtable = await openKeyValueTable(lib, wsession.sesid, wdb.dbid, TABLE);
    let committed = 0;
    writing = true;
    writerDone = (async () => {
      while (writing) {
        await insertRows(lib, wtable, [[liveKeyOf(committed), valueOf(liveKeyOf(committed))]]);
        committed++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const opened: OpenedInstance = {
      api,
      instance: inst,
      name: 'ese-backup-demo',
      description: 'esent:ese-backup-demo',
      facts: {},
      close: async () => undefined,
    };
    const to = path.join(root, 'backups', `full-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    out.line(`writer: committing rows while the backup runs; full backup -> ${to}`);
    let committedBeforeLogs = 0;
    const run = await runCliBackup({
      opened,
      to,
      mode: 'full',
      truncateLogs: false,
      verify: true,
      ...(options.rate > 0 ? { rate: options.rate * 1024 * 1024 } : {}),
      ...(options.stopAfter !== undefined ? { stopAfter: options.stopAfter } : {}),
      progress: options.progress,
      // Rows committed before GetLogInfo are in the logs the set copies.
      onProgress: (p) => void ((p.phase === 'starting' || p.phase === 'databases') && (committedBeforeLogs = committed)),
    });
    writing = false;
    await writerDone;
    run.dispose();
    const { result } = run;
    Object.assign(report, {
      outcome: result.outcome,
      seconds: run.seconds,
      set: result.set?.path ?? null,
      rows,
      committed,
      committedBeforeLogs,
    });
    if (result.outcome !== 'completed') {
      out.line(
        `${c.yellow(result.outcome)} after ${run.seconds.toFixed(1)} s: ${result.stopReason?.source ?? result.error?.message ?? ''}; no set under ${to}: ${!fs.existsSync(to)}`,
      );
      const code = exitCodeOfOutcome(result.outcome);
      out.result({ ...report, exitCode: code });
      return code;
    }
    const verification = await verifyBackupSet(result.set!.path);
    out.line(`${c.green('completed')} in ${run.seconds.toFixed(1)} s; verify: ${verification.ok ? c.green('ok') : c.red('FAILED')}`);
    if (!verification.ok) {
      out.result({ ...report, verify: verification.problems, exitCode: exitCodes.failed });
      return exitCodes.failed;
    }
    const restoreDir = path.join(root, `restored-${path.basename(result.set!.path)}`);
    const restored = await restoreEsentBackupSet(result.set!.path, {
      to: restoreDir,
      readBack: { table: TABLE },
      ...(options.library ? { library: options.library } : {}),
    });
    const back = new Map((restored.databases[0]?.rows ?? []).map(([k, v]) => [k, Buffer.from(v)]));
    let missing = 0;
    for (let i = 0; i < rows; i++) if (!back.get(keyOf(i))?.equals(valueOf(keyOf(i)))) missing++;
    for (let i = 0; i < committedBeforeLogs; i++) if (!back.get(liveKeyOf(i))?.equals(valueOf(liveKeyOf(i)))) missing++;
    out.line(
      `restore: JetExternalRestore2W into ${restoreDir}, log generations ${restored.genLow}-${restored.genHigh}; ${back.size} rows read back through JetMove/JetRetrieveColumn`,
    );
    out.line(
      missing === 0
        ? `check: ${c.green('all there')}: the ${rows} rows and the ${committedBeforeLogs} writes committed before the log phase, byte for byte (${committed - committedBeforeLogs} later writes may or may not be)`
        : c.red(`check: ${missing} committed rows are missing or differ`),
    );
    const code = missing === 0 ? exitCodes.ok : exitCodes.failed;
    out.result({ ...report, restore: { to: restoreDir, rowsBack: back.size, missing }, exitCode: code });
    return code;
  } finally {
    writing = false;
    await writerDone.catch(() => undefined);
    await api.term(inst, JET_bit.TermAbrupt).catch(() => undefined);
    if (!options.dir) fs.rmSync(root, { recursive: true, force: true });
  }
}
