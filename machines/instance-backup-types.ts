/**
 * The vocabulary of the instance-backup chart: its JSON-safe context, the ESE calls and their
 * results as events, the outcome of a session and the reason of a stop.
 *
 * Instances, handles and sizes are decimal strings so that a snapshot survives `JSON.stringify`.
 */

/** What ended a session, decided from the sequence the chart saw (End returns 0 in every case). */
export type BackupOutcome =
  { kind: 'completed' } | { kind: 'stoppedByServer' } | { kind: 'abortedByCaller' } | { kind: 'failed'; err: number };

/** Where a stop came from; the first reason of a session is kept. `shutdown` arms the latch policy. */
export interface StopReason {
  source: 'signal' | 'abort' | 'deadline' | 'event' | 'manual' | 'shutdown' | 'fleet';
  /** The signal name, event name or message. */
  detail?: string;
  /** A process shutdown: with policy `'latch'` it refuses further Begin calls until a reset. */
  shutdown: boolean;
}

/**
 * `'engine'`: exactly ESE's behaviour, the stop lasts until the session ends.
 * `'latch'`: after a stop whose reason is a shutdown, Begin is refused until `RESET`.
 */
export type BackupPolicy = 'engine' | 'latch';

/** What the chart knows about the instance's configuration; `null` is unknown. Learned from answers. */
export interface EngineFacts {
  /** Database page size; `null` leaves page-multiple checks of a read to the engine. */
  pageSize: number | null;
  /** Circular logging (default off in ESE): incremental Begin answers -526. */
  circularLogging: boolean | null;
  /** Logging enabled (default on in ESE); off, Begin answers -516. */
  recovery: boolean | null;
  /** A truncating full backup exists, so an incremental can build on it (-560 otherwise). */
  incrementalBase: boolean | null;
  /** Term2(Complete) was refused during a backup: Begin may answer -523 until JetInit again. */
  backupNotAllowed: boolean;
}

/** The backup file open in a session (handle 0, at most one). */
export interface OpenFileRecord {
  name: string;
  kind: 'database' | 'log';
  /** Bytes ESE announced at Open, as a decimal string. */
  size: string;
  /** A read has returned data (the first-read minimum no longer applies). */
  read: boolean;
  /** Read to EOF: a read reached the announced size, or returned 0 bytes. */
  eof: boolean;
}

/** The client's record of the current (or last) session. */
export interface SessionRecord {
  /** Begin succeeded and the session has not ended (End, a kill, Term). */
  open: boolean;
  incremental: boolean;
  stopReason: StopReason | null;
  /** GetAttachInfo's list, or `null` before it was called. */
  databases: string[] | null;
  /** GetLogInfo's list (the copy range), or `null` before it was called. */
  logs: string[] | null;
  /** GetTruncateLogInfo's list, or `null`. */
  truncateLogs: string[] | null;
  /** GetLogInfo or GetTruncateLogInfo was called: the ranges are fixed. */
  rangesFixed: boolean;
  file: OpenFileRecord | null;
  /** Files read to EOF and closed. */
  copied: string[];
  /** The last data error of a read (-1018, -1022), kept for the outcome. */
  lastError: number | null;
  truncated: boolean;
}

/** The chart's context: JSON-safe, no functions, no BigInt. */
export interface InstanceBackupContext {
  /** The `JET_INSTANCE`, decimal. */
  instance: string;
  policy: BackupPolicy;
  facts: EngineFacts;
  /** The call forwarded to the engine and not answered yet (reads are not tracked). */
  calling: JetCallName | null;
  session: SessionRecord | null;
  /** A stop that arrived while Begin was in flight: applied when Begin succeeds. */
  stopPending: StopReason | null;
  /** Policy `'latch'`: the shutdown that refuses Begin until `RESET`. */
  latch: StopReason | null;
  /** How the last session ended. */
  outcome: BackupOutcome | null;
  /** JetStopBackupInstance calls that reached the backend. */
  stops: number;
}

/** What the chart is created with. */
export interface InstanceBackupInput {
  instance: string;
  policy?: BackupPolicy;
  facts?: Partial<EngineFacts>;
}

/** An ESE call with its arguments, as the coordinator forwards it (READ_FILE: the buffer's length). */
export type JetCall =
  | { type: 'BEGIN_EXTERNAL_BACKUP'; grbit: number }
  | { type: 'GET_ATTACH_INFO' }
  | { type: 'OPEN_FILE'; name: string }
  | { type: 'READ_FILE'; handle: string; size: number }
  | { type: 'CLOSE_FILE'; handle: string }
  | { type: 'GET_LOG_INFO' }
  | { type: 'GET_TRUNCATE_LOG_INFO' }
  | { type: 'TRUNCATE_LOG' }
  | { type: 'END_EXTERNAL_BACKUP'; grbit: number }
  | { type: 'STOP_SERVICE'; grbit: number }
  | { type: 'TERM'; grbit: number }
  | { type: 'STOP_BACKUP'; reason?: StopReason };

/** The name of an ESE call, `'READ_FILE'` for JetReadFileInstance. */
export type JetCallName = JetCall['type'];

/** A call answered with data (or with 0). */
export type JetCallDone =
  | { type: 'BEGIN_EXTERNAL_BACKUP.DONE'; grbit: number }
  | { type: 'GET_ATTACH_INFO.DONE'; files: string[] }
  | { type: 'OPEN_FILE.DONE'; name: string; size: string }
  /** Sent for the first read and the read that reaches EOF (`offset`: the file offset after it); others change nothing. */
  | { type: 'READ_FILE.DONE'; bytes: number; offset: number }
  | { type: 'CLOSE_FILE.DONE' }
  | { type: 'GET_LOG_INFO.DONE'; files: string[] }
  | { type: 'GET_TRUNCATE_LOG_INFO.DONE'; files: string[] }
  | { type: 'TRUNCATE_LOG.DONE' }
  | { type: 'END_EXTERNAL_BACKUP.DONE'; grbit: number }
  | { type: 'STOP_SERVICE.DONE'; grbit: number }
  | { type: 'TERM.DONE'; grbit: number };

/** A call answered with a JET_ERR; `call` repeats the call's arguments. */
export interface JetCallError {
  type: 'JET_ERROR';
  call: JetCall;
  err: number;
}

/** Every event of the chart: calls, their answers, and `RESET` (clears the latch). */
export type InstanceBackupEvent = JetCall | JetCallDone | JetCallError | { type: 'RESET' };
