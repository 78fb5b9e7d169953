import type { JET_bit, JET_err } from '../src/jet/index.js';

/**
 * The JET_ERR values and grbits the chart decides with. `machines/` imports only types from
 * `src/jet`, so the values are spelled here once and checked against ESE's tables by the compiler
 * (`satisfies`): a typo does not compile.
 */
export const jetValues = {
  err: {
    BackupInProgress: -505,
    LoggingDisabled: -516,
    NoBackup: -520,
    InvalidBackupSequence: -521,
    BackupNotAllowedYet: -523,
    InvalidBackup: -526,
    MissingFullBackup: -560,
    MissingFileToBackup: -569,
    LogReadVerifyFailure: -612,
    LogFileNotCopied: -616,
    BackupAbortByServer: -801,
    InvalidGrbit: -900,
    TermInProgress: -1000,
    InvalidParameter: -1003,
    OutOfMemory: -1011,
    ReadVerifyFailure: -1018,
    DiskIO: -1022,
    NotInitialized: -1029,
    InvalidInstance: -1115,
    DatabaseNotFound: -1203,
    ClientRequestToStopJetService: -1329,
  },
  bit: {
    BackupIncremental: 0x1,
    BackupEndNormal: 0x1,
    BackupEndAbort: 0x2,
    BackupTruncateDone: 0x100,
    TermComplete: 0x1,
    TermAbrupt: 0x2,
    TermStopBackup: 0x4,
    TermDirty: 0x8,
    StopServiceAll: 0x0,
    StopServiceBackgroundUserTasks: 0x2,
    StopServiceQuiesceCaches: 0x4,
    StopServiceStopAndEmitLog: 0x8,
    StopServiceResume: 0x80000000,
  },
} as const satisfies { err: Partial<typeof JET_err>; bit: Partial<typeof JET_bit> };

/** `JET_instanceNil` (~0 as a 64-bit pointer), decimal. */
export const instanceNil = '18446744073709551615';
