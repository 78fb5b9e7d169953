// The engine's own transcription of ESE's streaming-backup rules (dev/ese/src/ese/backup.cxx). The
// client keeps another one (machines/backup-verdict.ts, machines/begin-rules.ts, the chart), on
// purpose: neither is derived from the other, and the model-based tests
// (test/coordinator/model-based-*.test.ts) drive both and hold every answer equal.
import fs from 'node:fs';
import nodePath from 'node:path';
import { JET_bit, JET_err, JetApiName, JetError, type JetLogInfo, type JetOpenFileResult } from '../jet/index.js';
import { findBadPage } from './format/page-checksum.js';
import type { EmbeddedInstance } from './embedded-instance.js';
import type { OpenBackupFile } from './backup-state.js';
import { takeReadFault, takeTruncateFault } from './engine-faults.js';
import { LogStreamVerifier } from './log-stream-verifier.js';

const api = JetApiName;
const fail = (name: string, err: number, detail?: string, file?: string): never => {
  throw new JetError(name, err, { ...(detail ? { detail } : {}), ...(file ? { file } : {}) });
};

/** The engine ends the session (ESE's "kills the session"): every later call answers -520 until Begin. */
function kill(inst: EmbeddedInstance, name: string, err: number, detail?: string, file?: string): never {
  inst.backup.finish('killed', err);
  return fail(name, err, detail, file);
}

/** -520 with no session, -801 after a stop: the first checks of every progress call. */
function checkSession(inst: EmbeddedInstance, name: string, stopChecked = true): void {
  if (!inst.backup.inProgress) fail(name, JET_err.NoBackup);
  if (stopChecked && inst.backup.stopped) fail(name, JET_err.BackupAbortByServer);
}

/** JetBeginExternalBackupInstance, rules in ESE's order (reference §3). */
export function beginExternalBackup(inst: EmbeddedInstance, grbit: number): void {
  const name = api.beginExternalBackup;
  const b = inst.backup;
  if (inst.backupNotAllowed || inst.state !== 'initialized') fail(name, JET_err.BackupNotAllowedYet);
  if (!inst.config.recovery) fail(name, JET_err.LoggingDisabled);
  if (grbit !== 0 && grbit !== JET_bit.BackupIncremental)
    fail(name, JET_err.InvalidGrbit, `grbit 0x${grbit.toString(16)}: only 0 or JET_bitBackupIncremental`);
  const incremental = grbit === JET_bit.BackupIncremental;
  if (incremental && inst.config.circularLogging) fail(name, JET_err.InvalidBackup);
  if (b.inProgress) fail(name, JET_err.BackupInProgress);
  if (incremental && inst.fullBackupBase === 0) fail(name, JET_err.MissingFullBackup);
  const gens = inst.logGenerations();
  b.start(incremental, incremental ? (gens[0] ?? inst.checkpointGeneration) : inst.checkpointGeneration);
}

/** JetGetAttachInfoInstance: the attached databases' full paths. */
export function getAttachInfo(inst: EmbeddedInstance): string[] {
  checkSession(inst, api.getAttachInfo);
  if (inst.backup.incremental) fail(api.getAttachInfo, JET_err.InvalidBackupSequence, 'an incremental backup copies logs only');
  return [...inst.databases.values()].map((d) => d.path);
}

/** JetOpenFileInstance. */
export function openFile(inst: EmbeddedInstance, file: string): JetOpenFileResult {
  const name = api.openFile;
  const b = inst.backup;
  checkSession(inst, name);
  if (file === '') fail(name, JET_err.InvalidParameter, 'empty file name');
  if (b.open) fail(name, JET_err.OutOfMemory, `${b.open.path} is still open: one backup file at a time`);
  const resolved = nodePath.resolve(file);
  const db = [...inst.databases.values()].find((d) => d.path === resolved);
  if (b.phase === 'logs') {
    if (db) kill(inst, name, JET_err.InvalidBackupSequence, 'a database cannot be opened in the log phase', resolved);
    // An incremental is in ESE's log phase from Begin (backup.cxx: backupStateLogsAndPatchs): before
    // GetLogInfo a log opens as it would after it; the range then ends below the log being written.
    const genMax = b.rangesFixed ? b.genCopyMax : (inst.log?.generation ?? b.genCopyMin);
    let generation: number | undefined;
    for (let g = b.genCopyMin; g < genMax; g++) if (inst.logPath(g) === resolved) generation = g;
    if (generation === undefined) kill(inst, name, JET_err.MissingFileToBackup, 'not a log of this backup', resolved);
    let size = 0;
    try {
      size = fs.statSync(resolved).size;
    } catch {
      kill(inst, name, JET_err.MissingFileToBackup, 'the log file is missing', resolved);
    }
    b.open = { kind: 'log', path: resolved, size, offset: 0, generation: generation as number };
  } else {
    if (!db) fail(name, JET_err.DatabaseNotFound, 'not an attached database', resolved);
    const d = db as NonNullable<typeof db>;
    const lastPgno = d.pagesOnDisk;
    b.open = {
      kind: 'database',
      path: resolved,
      size: (lastPgno + 3) * d.pageSize,
      offset: 0,
      db: d,
      lastPgno,
      trailer: d.trailerPage(b.genCopyMin, { logSignature: inst.logSignature, genMaxRequired: inst.log?.generation ?? b.genCopyMin }),
    };
  }
  return { handle: 0n, size: BigInt((b.open as OpenBackupFile).size) };
}

/** JetReadFileInstance: the next bytes of the open file, verified; 0 at EOF. */
export function readFile(inst: EmbeddedInstance, handle: bigint, buffer: Uint8Array): number {
  const name = api.readFile;
  const b = inst.backup;
  checkSession(inst, name);
  const o = b.open;
  if (!o || handle !== 0n) return fail(name, JET_err.InvalidParameter, `handle ${handle} is not an open backup file`);
  const P = inst.config.pageSize;
  if (buffer.length === 0 || buffer.length % P !== 0)
    fail(name, JET_err.InvalidParameter, `buffer of ${buffer.length} bytes: must be a non-zero multiple of the page size ${P}`, o.path);
  const minPages = o.kind === 'database' ? 3 : 2;
  if (o.offset === 0 && buffer.length < minPages * P)
    fail(name, JET_err.InvalidParameter, `the first read needs at least ${minPages} pages`, o.path);
  const fault = takeReadFault(inst, o.path);
  if (fault !== undefined) {
    b.closeOpen();
    fail(name, fault, 'injected read error; the file is closed', o.path);
  }
  if (o.offset >= o.size) return 0;
  const n = Math.min(buffer.length, o.size - o.offset);
  if (o.kind === 'database') readDatabase(inst, o, buffer, n);
  else readLog(inst, o, buffer, n);
  o.offset += n;
  if (o.offset >= o.size && o.kind === 'log') b.readToEof.add(o.generation as number);
  return n;
}

function readDatabase(inst: EmbeddedInstance, o: OpenBackupFile, buffer: Uint8Array, n: number): void {
  const P = inst.config.pageSize;
  const trailerAt = o.size - P;
  const fromDisk = Math.max(0, Math.min(n, trailerAt - o.offset));
  let got = 0;
  while (got < fromDisk) {
    const r = (o.db as NonNullable<OpenBackupFile['db']>).readAt(buffer, got, fromDisk - got, o.offset + got);
    if (r === 0) break;
    got += r;
  }
  buffer.fill(0, got, fromDisk); // pages not yet on disk read as uninitialized (valid) pages
  if (fromDisk < n) buffer.set(o.trailer as Uint8Array, fromDisk);
  const bad = findBadPage(buffer.subarray(0, n), o.offset / P, P, trailerAt / P);
  if (bad >= 0) {
    inst.backup.closeOpen();
    const index = o.offset / P + bad;
    fail(
      api.readFile,
      JET_err.ReadVerifyFailure,
      `page ${index < 2 ? (index === 0 ? 'header' : 'shadow') : `pgno ${index - 1}`} fails its checksum; the file is closed`,
      o.path,
    );
  }
}

function readLog(inst: EmbeddedInstance, o: OpenBackupFile, buffer: Uint8Array, n: number): void {
  if (!o.verifier) {
    o.fd = fs.openSync(o.path, 'r');
    o.verifier = new LogStreamVerifier(o.generation as number);
    if (fs.fstatSync(o.fd).size !== o.size)
      kill(inst, api.readFile, JET_err.LogReadVerifyFailure, 'the log changed size since it was opened', o.path);
  }
  let got = 0;
  while (got < n) {
    const r = fs.readSync(o.fd as number, buffer, got, n - got, o.offset + got);
    if (r === 0) kill(inst, api.readFile, JET_err.LogReadVerifyFailure, 'the log is shorter than when it was opened', o.path);
    got += r;
  }
  const problem = o.verifier.feed(buffer.subarray(0, n)) ?? (o.offset + n >= o.size ? o.verifier.finish() : undefined);
  if (problem) kill(inst, api.readFile, JET_err.LogReadVerifyFailure, problem, o.path);
}

/** JetCloseFileInstance: allowed after a stop. */
export function closeFile(inst: EmbeddedInstance, handle: bigint): void {
  const b = inst.backup;
  checkSession(inst, api.closeFile, false);
  if (!b.open || handle !== 0n) fail(api.closeFile, JET_err.InvalidParameter, `handle ${handle} is not an open backup file`);
  b.closeOpen();
}

/** GetLogInfo / GetTruncateLogInfo: the first call rolls the log, checkpoints and fixes both ranges. */
export async function fixLogRanges(inst: EmbeddedInstance, name: string): Promise<void> {
  const b = inst.backup;
  checkSession(inst, name);
  if (b.open) fail(name, JET_err.InvalidBackupSequence, `${b.open.path} is still open`);
  if (b.rangesFixed) return;
  b.fixing ??= (async () => {
    const genCopyMax = await inst.roll();
    b.genCopyMax = genCopyMax;
    b.genDeleteMin = Math.min(...inst.logGenerations());
    b.genDeleteMax = genCopyMax;
    b.phase = 'logs';
    b.rangesFixed = true;
    if (b.record) Object.assign(b.record, { genCopyMin: b.genCopyMin, genCopyMax });
  })().finally(() => (b.fixing = undefined));
  await b.fixing;
  // A stop that lands while the log rolls does not fail this call (reference §1: a call already inside
  // the engine completes; the next one answers -801). A term or kill meanwhile leaves no session.
  if (!b.inProgress) fail(name, JET_err.NoBackup);
}

/** JetGetLogInfoInstance2. */
export function logInfo(inst: EmbeddedInstance): JetLogInfo {
  const b = inst.backup;
  const files: string[] = [];
  for (let g = b.genCopyMin; g < b.genCopyMax; g++) files.push(inst.logPath(g));
  return { files, genLow: b.genCopyMin, genHigh: b.genCopyMax - 1, baseName: inst.config.baseName };
}

/** JetGetTruncateLogInfoInstance: the logs of the truncate range still on disk. */
export function truncateLogInfo(inst: EmbeddedInstance): string[] {
  const b = inst.backup;
  return inst
    .logGenerations()
    .filter((g) => g >= b.genDeleteMin && g < b.genDeleteMax)
    .map((g) => inst.logPath(g));
}

/** JetTruncateLogInstance: delete the truncate range at once, oldest first. */
export async function truncateLog(inst: EmbeddedInstance): Promise<void> {
  const name = api.truncateLog;
  const b = inst.backup;
  checkSession(inst, name);
  if (b.open) fail(name, JET_err.InvalidBackupSequence, `${b.open.path} is still open`);
  if (!b.rangesFixed) fail(name, JET_err.InvalidBackupSequence, 'JetGetLogInfoInstance was never called');
  for (let g = b.genCopyMin; g < b.genCopyMax; g++) {
    if (!b.readToEof.has(g)) fail(name, JET_err.LogFileNotCopied, `log generation ${g} was not read to the end`, inst.logPath(g));
  }
  const fault = takeTruncateFault(inst);
  // One file at a time, as ESE deletes them: a failure part-way leaves the older logs gone.
  for (const [i, file] of truncateLogInfo(inst).entries()) {
    if (fault && i >= fault.after) fail(name, fault.err, `injected fault after deleting ${i} log(s)`, file);
    fs.rmSync(file, { force: true });
  }
  if (fault) fail(name, fault.err, 'injected fault after deleting every log of the range');
  inst.fullBackupBase = b.genCopyMax;
  if (b.record) b.record.truncated = true;
  await inst.writeCheckpointFile();
}

/** JetEndExternalBackupInstance2: ends the session whatever happened; records how it ended. */
export function endExternalBackup(inst: EmbeddedInstance, grbit: number): void {
  const name = api.endExternalBackup;
  if (!Number.isInteger(grbit) || grbit < 0 || grbit > 0xffffffff)
    fail(name, JET_err.InvalidParameter, `grbit ${grbit} is not a 32-bit value`);
  const mode = grbit & (JET_bit.BackupEndNormal | JET_bit.BackupEndAbort);
  const known = JET_bit.BackupEndNormal | JET_bit.BackupEndAbort | JET_bit.BackupTruncateDone;
  if ((mode !== JET_bit.BackupEndNormal && mode !== JET_bit.BackupEndAbort) || (grbit & ~known) !== 0) {
    fail(name, JET_err.InvalidParameter, `grbit 0x${grbit.toString(16)}: exactly one of JET_bitBackupEndNormal or JET_bitBackupEndAbort`);
  }
  const b = inst.backup;
  if (!b.inProgress) fail(name, JET_err.NoBackup);
  const end = b.stopped ? 'abortedByServer' : mode === JET_bit.BackupEndAbort || !b.rangesFixed ? 'abortedByCaller' : 'normal';
  b.finish(end);
}
