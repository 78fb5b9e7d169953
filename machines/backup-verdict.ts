import type { InstanceBackupContext, JetCall, SessionRecord } from './instance-backup-types.js';
import { beginRules } from './begin-rules.js';
import { jetValues } from './jet-values.js';
import { inLogPhase, isCompleteTerm, isValidEndGrbit } from './session-record.js';

const { err, bit } = jetValues;

// The client-side transcription of ESE's rules. The embedded engine (src/engine/embedded-backup.ts)
// keeps its own on purpose, so that one cannot copy the other's mistake: the model-based tests
// (test/coordinator/model-based-*.test.ts) drive both and hold every verdict equal to the engine's answer.

/**
 * What the engine will answer to a call in the chart's current state.
 * - `allowed`: 0 (with its data).
 * - `refused`: `err`, as an early return that changes nothing; the coordinator answers it without the
 *   backend. `or` lists codes the engine may answer instead when a fact of its configuration is
 *   unknown to the chart (the call is refused either way).
 * - `depends`: 0 or one of `errs`, decided by data the chart cannot see (a checksum, a path, a size).
 */
export type Verdict =
  | { kind: 'allowed' }
  | { kind: 'refused'; err: number; or: readonly number[]; rule: string }
  | { kind: 'depends'; errs: readonly number[]; rule: string };

/** The part of an `instanceBackup` snapshot the verdict reads. */
export interface VerdictSnapshot {
  value: unknown;
  context: InstanceBackupContext;
}

/** Where the `backup` region is: `session` carries its three regions. */
type Where =
  | { at: 'noSession' | 'killed' | 'serviceStopped' | 'terminated' }
  | { at: 'session'; phase: 'databases' | 'logs' | 'incremental'; file: 'closed' | 'open'; stop: 'running' | 'stopped' };

const allowed: Verdict = { kind: 'allowed' };
const refuse = (code: number, rule: string, or: readonly number[] = []): Verdict => ({ kind: 'refused', err: code, or, rule });
const depends = (errs: readonly number[], rule: string): Verdict => ({ kind: 'depends', errs, rule });
const stopServiceBits =
  bit.StopServiceBackgroundUserTasks | bit.StopServiceQuiesceCaches | bit.StopServiceStopAndEmitLog | bit.StopServiceResume;
const termBits = bit.TermComplete | bit.TermAbrupt | bit.TermStopBackup | bit.TermDirty;

/**
 * The JET error the engine answers to `call` in the state of `snapshot` (reference §2-§3 and the
 * embedded engine's rules in README), or that it is allowed, or that it depends on data. Pure.
 *
 * Instance checks first (terminated -1003, service stopped -1329 for every call but Stop and Term),
 * then the call's rules in the reference's order: no session -520, stopped -801, then its own.
 *
 * @example
 * verdict(actor.getSnapshot(), { type: 'READ_FILE', handle: '0', size: 65536 }) // after a stop: refused -801
 */
export function verdict(snapshot: VerdictSnapshot, call: JetCall): Verdict {
  const where = locate(snapshot.value);
  const ctx = snapshot.context;
  if (where.at === 'terminated') return refuse(err.InvalidParameter, 'not a live instance');
  if (call.type === 'STOP_BACKUP') return allowed;
  if (where.at === 'serviceStopped' && call.type !== 'TERM')
    return refuse(err.ClientRequestToStopJetService, 'after JetStopServiceInstance');
  switch (call.type) {
    case 'BEGIN_EXTERNAL_BACKUP':
      return beginVerdict(where, ctx, call.grbit);
    case 'STOP_SERVICE':
      return (call.grbit & ~stopServiceBits) !== 0 ? refuse(err.InvalidGrbit, 'unknown StopService bits') : allowed;
    case 'TERM':
      if ((call.grbit & ~termBits) !== 0) return refuse(err.InvalidGrbit, 'unknown Term bits');
      return isCompleteTerm(call.grbit) && ctx.session?.open
        ? refuse(err.BackupInProgress, 'Term2(Complete) while a backup runs')
        : allowed;
    case 'END_EXTERNAL_BACKUP':
      if (!isValidEndGrbit(call.grbit)) return refuse(err.InvalidParameter, 'End2 needs exactly one of EndNormal / EndAbort');
      return where.at === 'session' ? allowed : refuse(err.NoBackup, 'no backup in progress');
    case 'CLOSE_FILE':
      if (where.at !== 'session') return refuse(err.NoBackup, 'no backup in progress');
      return call.handle !== '0' || where.file !== 'open' ? refuse(err.InvalidParameter, 'not the open backup file handle') : allowed;
    default:
      break;
  }
  if (where.at !== 'session') return refuse(err.NoBackup, 'no backup in progress');
  if (where.stop === 'stopped') return refuse(err.BackupAbortByServer, 'stopped by JetStopBackupInstance');
  const session = ctx.session!;
  switch (call.type) {
    case 'GET_ATTACH_INFO':
      return where.phase === 'incremental' ? refuse(err.InvalidBackupSequence, 'GetAttachInfo in an incremental backup') : allowed;
    case 'GET_LOG_INFO':
    case 'GET_TRUNCATE_LOG_INFO':
      return where.file === 'open' ? refuse(err.InvalidBackupSequence, 'a backup file is open') : allowed;
    case 'TRUNCATE_LOG':
      return truncateVerdict(where.file, session);
    case 'OPEN_FILE':
      return openVerdict(where.file, session, call.name);
    case 'READ_FILE':
      return readVerdict(where.file, session, ctx.facts.pageSize, call.handle, call.size);
  }
}

function beginVerdict(where: Where, ctx: InstanceBackupContext, grbit: number): Verdict {
  if (ctx.latch !== null) return refuse(err.BackupNotAllowedYet, `latched by a shutdown (${ctx.latch.source}) until reset`);
  const check = { facts: ctx.facts, sessionOpen: where.at === 'session', grbit };
  // Codes the engine may answer first, from rules whose fact the chart does not know.
  const maybe: number[] = [];
  for (const rule of beginRules) {
    const refused = rule.refuses(check);
    if (refused === true) return refuse(rule.err, rule.rule, maybe);
    if (refused === null) maybe.push(rule.err);
  }
  return maybe.length === 0 ? allowed : depends(maybe, 'instance configuration unknown to the chart');
}

function truncateVerdict(file: 'open' | 'closed', session: SessionRecord): Verdict {
  if (file === 'open') return refuse(err.InvalidBackupSequence, 'a backup file is open');
  if (!session.rangesFixed) return refuse(err.InvalidBackupSequence, 'GetLogInfo was never called');
  if (session.logs === null) return depends([err.LogFileNotCopied], 'copy range not listed to the chart');
  const copied = new Set(session.copied);
  return session.logs.every((log) => copied.has(log))
    ? allowed
    : refuse(err.LogFileNotCopied, 'a log of the copy range was not read to EOF and closed');
}

function openVerdict(file: 'open' | 'closed', session: SessionRecord, name: string): Verdict {
  if (name === '') return refuse(err.InvalidParameter, 'empty file name');
  if (file === 'open') return refuse(err.OutOfMemory, 'a backup file is already open');
  if (!inLogPhase(session)) {
    return session.databases?.includes(name) ? allowed : depends([err.DatabaseNotFound], 'database phase: only an attached database opens');
  }
  // Refused here, the call never reaches the engine, which would kill the session.
  if (session.databases?.includes(name)) return refuse(err.InvalidBackupSequence, 'a database in the log phase (kills the session)');
  // An incremental is in the log phase from Begin (ESE backup.cxx): without a copy range yet, the path decides.
  if (!session.rangesFixed)
    return depends(
      [err.InvalidBackupSequence, err.MissingFileToBackup],
      'incremental before GetLogInfo: an archived log opens; a database (-521) or anything else (-569) kills the session',
    );
  if (session.logs?.includes(name)) return depends([err.MissingFileToBackup], 'a log of the copy range (missing: kills the session)');
  return depends([err.InvalidBackupSequence, err.MissingFileToBackup], 'log phase: anything but a log of the copy range kills the session');
}

function readVerdict(file: 'open' | 'closed', session: SessionRecord, pageSize: number | null, handle: string, size: number): Verdict {
  const open = session.file;
  if (handle !== '0' || file !== 'open' || open === null) return refuse(err.InvalidParameter, 'not the open backup file handle');
  // Every ESE page size is a multiple of 4096: without the page size, that much is still certain.
  if (size <= 0 || size % (pageSize ?? 4096) !== 0)
    return refuse(err.InvalidParameter, 'buffer size is 0 or not a multiple of the page size');
  const minPages = open.kind === 'database' ? 3 : 2;
  if (!open.read && size < minPages * (pageSize ?? 4096)) return refuse(err.InvalidParameter, `first read below ${minPages} pages`);
  const unsure = pageSize === null && (size % 32768 !== 0 || (!open.read && size < minPages * 32768));
  return (unsure ? readDependsUnsure : readDepends)[open.kind];
}

// Reads are the hot path: their verdicts are built once.
const readRule = 'the data decides (checksums, I/O)';
const readDepends = {
  database: depends([err.ReadVerifyFailure, err.DiskIO], readRule),
  log: depends([err.LogReadVerifyFailure, err.DiskIO], readRule),
} as const;
const readDependsUnsure = {
  database: depends([err.InvalidParameter, err.ReadVerifyFailure, err.DiskIO], readRule),
  log: depends([err.InvalidParameter, err.LogReadVerifyFailure, err.DiskIO], readRule),
} as const;

/** The `backup` region of a snapshot value, as the rules read it. */
type BackupValue =
  | 'serviceStopped'
  | 'terminated'
  | { noSession: 'idle' | 'killed' }
  | { session: { phase: 'databases' | { logs: 'full' | 'incremental' }; file: 'closed' | 'open'; stop: 'running' | 'stopped' } };

/** Reads the `backup` region of a snapshot value. */
function locate(value: unknown): Where {
  const backup = (value as { backup: BackupValue }).backup;
  if (typeof backup === 'string') return { at: backup };
  if ('noSession' in backup) return { at: backup.noSession === 'killed' ? 'killed' : 'noSession' };
  const { phase, file, stop } = backup.session;
  return { at: 'session', phase: phase === 'databases' ? 'databases' : phase.logs === 'incremental' ? 'incremental' : 'logs', file, stop };
}
