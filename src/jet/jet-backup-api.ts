import type { JetGrbit, JetHandle, JetInstance } from './jet-types.js';

/** What `JetOpenFileInstance` answers: the handle and the size ESE will stream (two 32-bit halves joined). */
export interface JetOpenFileResult {
  handle: JetHandle;
  /** Bytes the engine will stream; for a database, logical size + 2 header pages + 1 trailer page. */
  size: bigint;
}

/** What `JetGetLogInfoInstance2` answers: the log files plus `JET_LOGINFO` (generations inclusive). */
export interface JetLogInfo {
  files: string[];
  genLow: number;
  genHigh: number;
  baseName: string;
}

/**
 * The streaming-backup calls of ESE, one method per call (reference §3). Every backend implements it:
 * the embedded engine, esent.dll through koffi, the coordinator's guarded session.
 *
 * All methods reject with `JetError` for engine conditions, and with `TypeError`/`RangeError` for
 * arguments of the wrong JavaScript type. `stopBackup` is synchronous: in ESE it only stores a flag,
 * so it must work from any callback, exit handlers included.
 */
export interface JetBackupApi {
  /** Which backend answers (`'embedded'`, `'esent'`, …), for manifests and logs. */
  readonly backend: string;
  /** JetBeginExternalBackupInstance. grbit 0 (full) or `JET_bit.BackupIncremental`. */
  beginExternalBackup(inst: JetInstance, grbit?: JetGrbit): Promise<void>;
  /** JetGetAttachInfoInstance: full paths of the databases to copy. */
  getAttachInfo(inst: JetInstance): Promise<string[]>;
  /** JetOpenFileInstance: open a database (database phase) or a log (log phase) for streaming. */
  openFile(inst: JetInstance, path: string): Promise<JetOpenFileResult>;
  /** JetReadFileInstance: fill `buffer` (a multiple of the page size); resolves with the bytes read, 0 at EOF. */
  readFile(inst: JetInstance, handle: JetHandle, buffer: Uint8Array): Promise<number>;
  /** JetCloseFileInstance. Allowed after a stop. */
  closeFile(inst: JetInstance, handle: JetHandle): Promise<void>;
  /** JetGetLogInfoInstance: the logs to copy. The first call rolls the log and enters the log phase. */
  getLogInfo(inst: JetInstance): Promise<string[]>;
  /** JetGetLogInfoInstance2: the logs to copy and their generation range. */
  getLogInfo2(inst: JetInstance): Promise<JetLogInfo>;
  /** JetGetTruncateLogInfoInstance: the logs TruncateLog would delete. */
  getTruncateLogInfo(inst: JetInstance): Promise<string[]>;
  /** JetTruncateLogInstance: delete the logs of the truncate range (every copied log must be read and closed). */
  truncateLog(inst: JetInstance): Promise<void>;
  /** JetEndExternalBackupInstance2. Exactly one of BackupEndNormal / BackupEndAbort (default Normal). Allowed after a stop. */
  endExternalBackup(inst: JetInstance, grbit?: JetGrbit): Promise<void>;
  /** JetStopServiceInstance2. With `StopServiceAll` (0, default) every backup call but Stop and Term answers -1329. */
  stopService(inst: JetInstance, grbit?: JetGrbit): Promise<void>;
  /** JetTerm2 (default `TermAbrupt`). Ends a running backup as aborted, except `TermComplete`, which answers -505. */
  term(inst: JetInstance, grbit?: JetGrbit): Promise<void>;
  /** JetStopBackupInstance: synchronous, idempotent; -1003 (or -1115) on a handle that is not a live instance. */
  stopBackup(inst: JetInstance): void;
}

/** The ESE function each method stands for, as JetError.api names it. */
export const JetApiName = {
  beginExternalBackup: 'JetBeginExternalBackupInstance',
  getAttachInfo: 'JetGetAttachInfoInstance',
  openFile: 'JetOpenFileInstance',
  readFile: 'JetReadFileInstance',
  closeFile: 'JetCloseFileInstance',
  getLogInfo: 'JetGetLogInfoInstance',
  getLogInfo2: 'JetGetLogInfoInstance2',
  getTruncateLogInfo: 'JetGetTruncateLogInfoInstance',
  truncateLog: 'JetTruncateLogInstance',
  endExternalBackup: 'JetEndExternalBackupInstance2',
  stopService: 'JetStopServiceInstance2',
  term: 'JetTerm2',
  stopBackup: 'JetStopBackupInstance',
} as const satisfies Record<Exclude<keyof JetBackupApi, 'backend'>, string>;

export type JetBackupMethod = keyof typeof JetApiName;

/** Every method of {@link JetBackupApi} (the ESE calls), in the order of the streaming API. */
export const jetBackupMethods = Object.keys(JetApiName) as JetBackupMethod[];
