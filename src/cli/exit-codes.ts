import { CommanderError } from 'commander';
import type { BackupOutcomeKind } from '../backup/index.js';
import { JET_err, JetError } from '../jet/index.js';
import { UsageError } from './usage-error.js';

/**
 * The exit codes of `ese-backup`, stable across versions (scripts may branch on them).
 *
 * - `ok` 0: the command did what it was asked (a backup completed and verified, a set verifies, …).
 * - `failed` 1: a backup failed, a set or file does not verify, a restore or an engine call failed, a
 *   clean could not remove or check a leftover.
 * - `usage` 2: the command line is wrong (unknown command or option, a missing or bad value, a path
 *   that names nothing or must not exist yet).
 * - `interrupted` 130: a stop ended the run (Ctrl-C, SIGTERM, `--stop-after`); nothing incomplete is
 *   visible under the set's final name.
 *
 * @example
 * process.exitCode = exitCodes.interrupted;
 */
export const exitCodes = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** One of {@link exitCodes}' values. */
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** The exit code table as the CLI's help and the README print it. */
export const exitCodesHelp = `Exit codes:
  0    ok: the backup completed and its set verifies; verify/restore/clean/list succeeded
  1    failed: the backup failed, a set or file does not verify, a restore, engine call or clean failed
  2    usage: unknown command or option, missing or bad value, a path that names nothing
  130  interrupted: a stop (Ctrl-C, SIGTERM, --stop-after) ended the run; no set under its final name`;

/**
 * The exit code of a backup outcome: `completed` 0, `stopped` and `aborted` 130 (a stop ended the run),
 * `failed` 1.
 *
 * @example
 * process.exitCode = exitCodeOfOutcome((await run).outcome);
 */
export function exitCodeOfOutcome(outcome: BackupOutcomeKind): ExitCode {
  switch (outcome) {
    case 'completed':
      return exitCodes.ok;
    case 'stopped':
    case 'aborted':
      return exitCodes.interrupted;
    case 'failed':
      return exitCodes.failed;
  }
}

/**
 * The exit code of an error that ended a command: a usage error (ours or commander's) 2; a JetError
 * whose code says a stop ended the call (`JET_errBackupAbortByServer` -801,
 * `JET_errClientRequestToStopJetService` -1329) 130; anything else 1.
 *
 * @example
 * catch (e) { process.exitCode = exitCodeOfError(e) }
 */
export function exitCodeOfError(e: unknown): ExitCode {
  if (e instanceof UsageError || e instanceof CommanderError) return exitCodes.usage;
  if (e instanceof JetError && (e.err === JET_err.BackupAbortByServer || e.err === JET_err.ClientRequestToStopJetService))
    return exitCodes.interrupted;
  return exitCodes.failed;
}
