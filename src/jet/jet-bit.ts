/**
 * Grbits of the streaming-backup calls, with ESE's values (reference §4).
 * `JET_bit.BackupEndNormal` is `JET_bitBackupEndNormal`.
 */
export const JET_bit = {
  /** Begin: an incremental backup (logs only). */
  BackupIncremental: 0x1,
  /** Begin: refused by ESE (-900); named so callers can see why. */
  BackupAtomic: 0x4,
  /** Begin: refused by ESE (-900). */
  BackupSnapshot: 0x10,
  /** End2: the client copied everything. */
  BackupEndNormal: 0x1,
  /** End2: the client gives up. */
  BackupEndAbort: 0x2,
  /** End2: logs were already truncated by the client. */
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
} as const;

export type JetBitName = keyof typeof JET_bit;
