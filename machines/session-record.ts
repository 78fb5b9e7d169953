import type { BackupOutcome, InstanceBackupContext, OpenFileRecord, SessionRecord, StopReason } from './instance-backup-types.js';
import { jetValues } from './jet-values.js';

const { err, bit } = jetValues;

/**
 * A fresh session record, as Begin leaves it: nothing listed, nothing copied, not stopped.
 *
 * @param incremental Begin had `JET_bitBackupIncremental`: the session starts in the log phase.
 */
export function newSession(incremental: boolean): SessionRecord {
  return {
    open: true,
    incremental,
    stopReason: null,
    databases: null,
    logs: null,
    truncateLogs: null,
    rangesFixed: false,
    file: null,
    copied: [],
    lastError: null,
    truncated: false,
  };
}

/** The session in the log phase: incremental from Begin, full after GetLogInfo or GetTruncateLogInfo. */
export function inLogPhase(session: SessionRecord): boolean {
  return session.incremental || session.rangesFixed;
}

/** Whether every database (full backups) and every log of GetLogInfo was read to EOF and closed. */
export function everythingCopied(session: SessionRecord): boolean {
  if (session.logs === null) return false;
  if (!session.incremental && session.databases === null) return false;
  const copied = new Set(session.copied);
  return [...(session.databases ?? []), ...session.logs].every((file) => copied.has(file));
}

/**
 * How a session ended by End2 (reference §2: End's return code does not prove success).
 * Stopped: stoppedByServer. End(Abort), or End(Normal) before GetLogInfo: abortedByCaller.
 * End(Normal) in the log phase: completed when everything was copied, else failed with the last
 * read error seen, or JET_errMissingFileToBackup (-569) when a file was simply not copied.
 */
export function endOutcome(session: SessionRecord, grbit: number): BackupOutcome {
  if (session.stopReason !== null) return { kind: 'stoppedByServer' };
  // Before GetLogInfo nothing was listed to copy: the caller gave up, as the engine records it.
  if ((grbit & bit.BackupEndAbort) !== 0 || !session.rangesFixed) return { kind: 'abortedByCaller' };
  if (everythingCopied(session)) return { kind: 'completed' };
  return { kind: 'failed', err: session.lastError ?? err.MissingFileToBackup };
}

/** Term2 without Abrupt, Dirty or StopBackup is a complete (clean) term: refused while a backup runs. */
export function isCompleteTerm(grbit: number): boolean {
  return (grbit & (bit.TermAbrupt | bit.TermDirty | bit.TermStopBackup)) === 0;
}

/** End2's grbit holds exactly one of EndNormal / EndAbort, optionally TruncateDone, and nothing else. */
export function isValidEndGrbit(grbit: number): boolean {
  const end = grbit & ~bit.BackupTruncateDone;
  return end === bit.BackupEndNormal || end === bit.BackupEndAbort;
}

/** The session with its open file replaced (`null` closes it). */
export function withFile(session: SessionRecord, file: OpenFileRecord | null): SessionRecord {
  return { ...session, file };
}

/** The stop reason a STOP without one stands for: a direct call of JetStopBackupInstance. */
export const manualStop: StopReason = { source: 'manual', shutdown: false };

/** The context as a new chart starts it. */
export function initialContext(input: {
  instance: string;
  policy?: InstanceBackupContext['policy'];
  facts?: Partial<InstanceBackupContext['facts']>;
}): InstanceBackupContext {
  return {
    instance: input.instance,
    policy: input.policy ?? 'engine',
    facts: {
      pageSize: null,
      circularLogging: null,
      recovery: null,
      incrementalBase: null,
      backupNotAllowed: false,
      ...input.facts,
    },
    calling: null,
    session: null,
    stopPending: null,
    latch: null,
    outcome: null,
    stops: 0,
  };
}
