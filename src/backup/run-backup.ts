import { ReplaySubject } from 'rxjs';
import { ProgressTracker, type BackupProgress } from './backup-progress.js';
import { BackupRunner } from './backup-runner.js';
import { checkRunBackupOptions, type BackupRun, type RunBackupOptions } from './run-backup-options.js';

/** The options, result and run types of {@link runBackup}. */
export type { BackupResult, BackupRun, RunBackupOptions } from './run-backup-options.js';

/**
 * Runs one streaming backup of `instance` through the coordinator's guarded session into a backup set
 * (reference §3): Begin, GetAttachInfo and each database read to EOF (full), GetLogInfo2 and each log,
 * then commit. The session is always ended: End2(Normal) only when every database and every log of
 * GetLogInfo was read to EOF and closed and no stop came, End2(Abort) otherwise. The outcome is decided
 * from the run's own record, first reason first: `stopped` (a stop, -801, -1329), `aborted` (`signal`),
 * `failed` (any other error, or a set that does not verify), else `completed`. Only a completed run
 * leaves a set under the final name, with two exceptions the result names (`set` is present exactly
 * when a set stands there): with `truncateLogs`, TruncateLog runs after the set was committed and
 * re-verified from disk, never after a stop, and once it was called the set is kept whatever happens
 * next (a TruncateLog failing part-way is `failed` with `truncated: 'partial'` and `logsTruncated`);
 * and a set whose withdrawal failed after a failed commit step stays. Dead runs' leftovers in the
 * parent directory are cleaned first.
 * A stop of the instance that comes after the run started but before its session began (during the
 * clean-up, the lock, a queued Begin), which ESE itself would ignore, still ends the run: `stopped`,
 * with no Begin or with End2(Abort) right after it, and no set.
 *
 * @throws TypeError/RangeError (synchronously) for bad options; engine and file errors resolve `failed`.
 * @example
 * const run = runBackup({ coordinator, instance: inst, to: '/backups/mon', mode: 'full' });
 * run.progress$.subscribe((p) => console.log(p.phase, p.bytesDone, '/', p.bytesTotal));
 * const { outcome, set } = await run;
 */
export function runBackup(options: RunBackupOptions): BackupRun {
  checkRunBackupOptions(options);
  const subject = new ReplaySubject<BackupProgress>(1);
  const tracker = new ProgressTracker((p) => subject.next(p));
  const promise = new BackupRunner(options, tracker).run().then((result) => {
    tracker.update({ phase: 'done', file: null, outcome: result.outcome });
    subject.complete();
    return result;
  });
  return Object.assign(promise, { progress$: subject.asObservable() });
}
