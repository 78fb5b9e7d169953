/**
 * ESE error codes (`JET_ERR`) used by the streaming-backup contract, as ESE spells them.
 *
 * `JET_err.BackupAbortByServer === -801`; the full name is `'JET_err' + key`.
 * Descriptions follow `esent.h`.
 */
export const JET_err = {
  Success: 0,
  BackupInProgress: -505,
  RestoreInProgress: -506,
  LogWriteFail: -510,
  LoggingDisabled: -516,
  NoBackup: -520,
  InvalidBackupSequence: -521,
  BackupNotAllowedYet: -523,
  InvalidBackup: -526,
  LogDiskFull: -529,
  MissingFullBackup: -560,
  MissingFileToBackup: -569,
  LogReadVerifyFailure: -612,
  LogFileNotCopied: -616,
  SurrogateBackupInProgress: -617,
  BackupAbortByServer: -801,
  InvalidGrbit: -900,
  TermInProgress: -1000,
  InvalidParameter: -1003,
  OutOfMemory: -1011,
  ReadVerifyFailure: -1018,
  DiskIO: -1022,
  InvalidPath: -1023,
  NotInitialized: -1029,
  FileAccessDenied: -1032,
  BufferTooSmall: -1038,
  InstanceUnavailable: -1090,
  InstanceNameInUse: -1086,
  SystemPathInUse: -1083,
  AlreadyInitialized: -1030,
  DatabaseDuplicate: -1201,
  DatabaseCorrupted: -1206,
  MissingLogFile: -528,
  BadLogSignature: -530,
  InvalidInstance: -1115,
  DatabaseNotFound: -1203,
  ClientRequestToStopJetService: -1329,
  DiskFull: -1808,
  FileNotFound: -1811,
} as const;

export type JetErrName = keyof typeof JET_err;
/** A JET_ERR value known to this package. */
export type JetErrValue = (typeof JET_err)[JetErrName];

/** One line per code, from `esent.h`. */
export const JET_errDescription: Readonly<Record<JetErrName, string>> = {
  Success: 'Success',
  BackupInProgress: 'A backup is already in progress',
  RestoreInProgress: 'A restore is in progress',
  LogWriteFail: 'Failure writing to the log file',
  LoggingDisabled: 'Logging is disabled for this instance',
  NoBackup: 'No backup is in progress',
  InvalidBackupSequence: 'The backup call is out of sequence',
  BackupNotAllowedYet: 'Cannot back up now: the instance is not ready or is terminating',
  InvalidBackup: 'Cannot do an incremental backup while circular logging is on',
  LogDiskFull: 'The log disk is full',
  MissingFullBackup: 'The database has no prior full backup to build an incremental on',
  MissingFileToBackup: 'A log or patch file is missing during backup',
  LogReadVerifyFailure: 'A checksum error was found in the log file during backup',
  LogFileNotCopied: 'A log file was not copied before log truncation was asked for',
  SurrogateBackupInProgress: 'A surrogate backup is in progress',
  BackupAbortByServer: 'The backup was stopped by JetStopBackup or a service stop',
  InvalidGrbit: 'Invalid grbit parameter',
  TermInProgress: 'The instance is terminating',
  InvalidParameter: 'Invalid API parameter',
  OutOfMemory: 'Out of memory, or a backup file handle is already open',
  ReadVerifyFailure: 'A checksum error was found on a database page',
  DiskIO: 'A disk I/O error occurred',
  InvalidPath: 'Invalid file path',
  NotInitialized: 'The instance is not initialized',
  FileAccessDenied: 'Cannot access the file: it is locked or in use',
  BufferTooSmall: 'The buffer is too small',
  InstanceUnavailable: 'The instance is unavailable after a fatal error',
  InstanceNameInUse: 'An instance of that name already exists',
  SystemPathInUse: 'System path already used by another database instance',
  AlreadyInitialized: 'The instance is already initialized',
  DatabaseDuplicate: 'The database already exists',
  DatabaseCorrupted: 'The database is corrupted',
  MissingLogFile: 'A log file needed for recovery or restore is missing',
  BadLogSignature: 'A log file does not belong with the others (signature or generation mismatch)',
  InvalidInstance: 'Invalid instance handle',
  DatabaseNotFound: 'No such database',
  ClientRequestToStopJetService: "The service was stopped on the client's request (JetStopService)",
  DiskFull: 'No space left on disk',
  FileNotFound: 'File not found',
};

const nameByValue = new Map<number, JetErrName>((Object.keys(JET_err) as JetErrName[]).map((name) => [JET_err[name], name]));

/** The ESE name of a code (`-801` → `'JET_errBackupAbortByServer'`); unknown codes read `'JET_err(-1234)'`. */
export function jetErrName(err: number): string {
  const name = nameByValue.get(err);
  return name === undefined ? `JET_err(${err})` : `JET_err${name}`;
}

/** The one-line description of a code, or `undefined` for codes this package does not know. */
export function jetErrDescription(err: number): string | undefined {
  const name = nameByValue.get(err);
  return name === undefined ? undefined : JET_errDescription[name];
}
