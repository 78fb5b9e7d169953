import fs from 'node:fs';
import path from 'node:path';
import type { StopReason } from '../coordinator/index.js';
import { JET_bit, JET_err, isJetError, type JetBackupApi, type JetInstance } from '../jet/index.js';
import { nodeBackupFs, verifyFsOf } from './backup-fs.js';
import type { BackupOutcomeKind, ProgressTracker } from './backup-progress.js';
import { BackupSetWriter } from './backup-set-writer.js';
import { cleanFsOf } from './clean-fs.js';
import { cleanOrphans } from './clean-orphans.js';
import { copyListedFiles, emptyCopyRecord } from './copy-listed-files.js';
import { DEFAULT_READ_SIZE, type BackupResult, type RunBackupOptions } from './run-backup-options.js';
import { verifyBackupSetWith } from './verify-backup-set.js';

/** Whether a file is still there (lstat: a log is never followed through a link). */
const onDisk = (file: string): boolean => {
  try {
    fs.lstatSync(file);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
};

/**
 * One run of `runBackup`: the ESE sequence through the guarded session, and the run's own record of
 * it — why it ended (the first reason wins), what ESE listed and what was read to EOF and closed, how
 * the session ended — from which `run()` decides the outcome.
 *
 * @example
 * const result = await new BackupRunner(options, new ProgressTracker(emit)).run();
 */
export class BackupRunner {
  private readonly session: JetBackupApi;
  private readonly inst: JetInstance;
  /** The run's own record: files ESE listed (GetAttachInfo, GetLogInfo) and those read to EOF and closed. */
  private readonly record = emptyCopyRecord();
  /** Sinks being created and copied files being finished (last writes, fdatasync, digest) in the background. */
  private readonly background: Promise<unknown>[] = [];
  private reason: BackupOutcomeKind | undefined;
  private error: Error | undefined;
  private stopReason: StopReason | undefined;
  private began = false;
  private readonly result: Omit<BackupResult, 'outcome'> = { end: 'none', truncated: false };

  constructor(
    private readonly options: RunBackupOptions,
    private readonly progress: ProgressTracker,
  ) {
    this.inst = options.instance;
    this.session = options.coordinator.session(options.instance);
  }

  async run(): Promise<BackupResult> {
    const { coordinator, signal } = this.options;
    const onAbort = () => this.note('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    // A stop on the chart (any stop source, the shutdown hook included) is this run's stop once it has begun.
    const watch = coordinator.state$(this.inst).subscribe(() => this.checkStop());
    // Before Begin, ESE ignores a stop (no session), but this run was asked to stop: it ends, never begins.
    const requests = coordinator.stopRequests$.subscribe((request) => {
      if (request.instance === this.inst && !this.began) this.noteStop(request.reason);
    });
    let writer: BackupSetWriter | undefined;
    try {
      this.progress.update({ phase: 'starting' });
      // Through the run's own file system. A listing that fails fails the run; a leftover that cannot be
      // removed or judged is reported (`orphans.failed`) and does not: it must not stop every backup after it.
      this.result.orphans = await cleanOrphans(path.dirname(path.resolve(this.options.to)), {
        fs: cleanFsOf(this.options.fs ?? nodeBackupFs),
      });
      // No End2(Abort) for the dead runs' sessions (they are reported only): both backends run the
      // engine inside the process (the embedded engine, esent.dll), so a dead run's session died with
      // its process. A handle is per process (every CLI's embedded instance is 0x1000), so a session
      // of this instance here belongs to a live run of this process, which an End would break (-520).
      const identity = {
        backend: this.session.backend,
        handle: `0x${this.inst.toString(16)}`,
        ...(this.options.instanceName ? { name: this.options.instanceName } : {}),
      };
      const { to, mode, fs: io, syncEvery, signKey, digest } = this.options;
      writer = await BackupSetWriter.create({
        to,
        mode,
        instance: identity,
        ...(io ? { fs: io } : {}),
        // With a verification to come, each file is re-read behind its writer, on the other core.
        sink: {
          ...(syncEvery !== undefined ? { syncEvery } : {}),
          recheck: this.options.verify === true || this.options.truncateLogs === true,
        },
        ...(signKey ? { signKey } : {}),
        ...(digest ? { digest } : {}),
      });
      if (this.reason === undefined) await this.copy(writer);
      await this.finish(writer);
    } catch (e) {
      this.fail(e);
      if (this.began && this.result.end === 'none') await this.end(JET_bit.BackupEndAbort);
      await this.settleBackground();
      await writer?.discard().catch((e: unknown) => this.fail(e));
    } finally {
      watch.unsubscribe();
      requests.unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      // A lock that stays (its removal failed twice) keeps this set name busy until this process is gone:
      // the result says so instead of hiding it; `ese-backup clean` removes it then.
      await writer?.release().catch((e: unknown) => {
        this.result.lockLeft = { path: writer!.paths.lock, error: e instanceof Error ? e.message : String(e) };
      });
    }
    const outcome = this.reason ?? 'completed';
    // The result names the set exactly when one stands under the final name: a completed run's, or
    // a failed run's that truncation began for (kept), or one a failed discard could not take back.
    if (!writer?.committed) delete this.result.set;
    else if (!this.result.set && writer.manifest) this.result.set = { path: writer.paths.final, manifest: writer.manifest };
    return {
      outcome,
      ...this.result,
      ...(this.error ? { error: this.error } : {}),
      ...(this.stopReason ? { stopReason: this.stopReason } : {}),
    };
  }

  /**
   * Begin, then every database (full) and every log of GetLogInfo, each read to EOF and closed. A
   * copied file is finished in the background (its last chunks hashed and written, fdatasync, digest)
   * while the next one is read; every file is durable before this returns.
   */
  private async copy(writer: BackupSetWriter): Promise<void> {
    await this.copyFiles(writer);
    // Every file durable before End(Normal) and the commit; a failed one fails the run. A stopped run
    // ends its session first and waits for the background work after (`settleBackground`), before the discard.
    if (this.reason === undefined) await this.settleBackground();
  }

  /** Track work that must settle before End, commit or discard; its failure fails the run. */
  private inBackground<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined); // handled: settleBackground raises it
    this.background.push(work);
    return work;
  }

  /** Wait for the background work (sinks opening, files finishing); a failed one fails the run. */
  private async settleBackground(): Promise<void> {
    const work = this.background.splice(0);
    for (const r of await Promise.allSettled(work)) if (r.status === 'rejected') this.fail(r.reason);
  }

  private async copyFiles(writer: BackupSetWriter): Promise<void> {
    const { mode } = this.options;
    await this.session.beginExternalBackup(this.inst, mode === 'incremental' ? JET_bit.BackupIncremental : 0);
    this.began = true;
    this.checkStop(); // a stop that came while Begin was in flight applies to this session
    if (this.reason !== undefined) return; // stopped or aborted while Begin was queued: End(Abort) at once
    await copyListedFiles(
      {
        session: this.session,
        inst: this.inst,
        mode,
        readSize: this.options.readSize ?? DEFAULT_READ_SIZE,
        writer,
        progress: this.progress,
        interrupted: () => this.reason !== undefined,
        inBackground: (work) => this.inBackground(work),
      },
      this.record,
    );
  }

  /** Everything was copied unless a reason says otherwise: commit, verify, truncate and End in the safe order. */
  private async finish(writer: BackupSetWriter): Promise<void> {
    const { listed, copied, logGenerations, pageSize } = this.record;
    const missing = listed.filter((f) => !copied.has(f));
    if (this.reason === undefined && (missing.length > 0 || logGenerations === null)) {
      this.fail(
        new Error(`not every file was read to EOF and closed: ${missing.length > 0 ? missing.join(', ') : 'GetLogInfo listed no log'}`),
      );
    }
    if (this.reason !== undefined) {
      await this.end(JET_bit.BackupEndAbort);
      await this.settleBackground();
      await writer.discard();
      return;
    }
    const details = { pageSize: pageSize ?? 4096, logGenerations };
    if (!this.options.truncateLogs) {
      // End first: a set appears under its final name only after End(Normal) with no stop.
      this.progress.update({ phase: 'ending', file: null });
      await this.end(JET_bit.BackupEndNormal);
      if (this.reason === undefined && this.result.end !== 'normal')
        this.fail(new Error('the session was ended elsewhere before End2(Normal)'));
      if (this.reason !== undefined) return void (await writer.discard());
      this.progress.update({ phase: 'committing' });
      this.result.set = { path: writer.paths.final, manifest: await writer.commit(details) };
      if (this.options.verify && !(await this.verified(writer))) await writer.discard();
      return;
    }
    // TruncateLog needs the session: commit and verify from disk first, truncate, then End.
    this.progress.update({ phase: 'committing', file: null });
    this.result.set = { path: writer.paths.final, manifest: await writer.commit(details) };
    if (!(await this.verified(writer)) || this.reason !== undefined) {
      await this.end(JET_bit.BackupEndAbort);
      return void (await writer.discard());
    }
    this.progress.update({ phase: 'truncating' });
    let range: string[] = [];
    try {
      range = await this.session.getTruncateLogInfo(this.inst);
    } catch (e) {
      // Nothing was deleted yet: the run fails as any run before the truncation does.
      this.fail(e);
    }
    if (this.reason !== undefined) {
      await this.end(JET_bit.BackupEndAbort);
      return void (await writer.discard());
    }
    // From the call on, ESE may delete logs one at a time: the committed, verified set stays whatever
    // happens next (a failure part-way, a stop, End's answer); it may hold the only copy of a log.
    writer.keep();
    try {
      await this.session.truncateLog(this.inst);
      this.result.truncated = true;
    } catch (e) {
      this.fail(e);
    }
    this.result.logsTruncated = range.filter((file) => !onDisk(file));
    if (this.result.truncated !== true) this.result.truncated = this.result.logsTruncated.length > 0 ? 'partial' : false;
    // Logs gone without the truncation's success is a failure, whatever stop came meanwhile.
    if (this.result.truncated === 'partial') this.reason = 'failed';
    // End2(Normal) still only when no stop came and the truncation succeeded (`end` turns it into Abort).
    this.progress.update({ phase: 'ending' });
    await this.end(JET_bit.BackupEndNormal);
    // A completed truncation: nothing from here on (a late stop, End's answer) can undo the run.
    if (this.result.truncated === true) this.reason = undefined;
  }

  /** The committed set verified: the files' re-reads made while they were written, and every set-level check now. */
  private async verified(writer: BackupSetWriter): Promise<boolean> {
    this.progress.update({ phase: 'verifying' });
    // A read of the set that failed while it was re-read behind its writer fails the run: the set is not
    // called verified after a failed read, even if a second read would succeed.
    const failedRead = (await writer.recheckReadErrors())[0];
    if (failedRead) {
      this.fail(failedRead);
      return false;
    }
    // Through the run's own file system: a read that fails here is a fault of the run, as a write is.
    const fs = verifyFsOf(this.options.fs ?? nodeBackupFs);
    const report = await verifyBackupSetWith(
      writer.paths.final,
      { fs, ...(this.options.signKey ? { signKey: this.options.signKey } : {}) },
      { prechecked: await writer.rechecked() },
    );
    this.result.verification = report;
    if (!report.ok) this.fail(new Error(`the committed set does not verify: ${report.problems.map((p) => p.message).join('; ')}`));
    return report.ok;
  }

  /** End2 once; -520 means the engine (a kill) or a shutdown hook ended the session already. */
  private async end(grbit: number): Promise<void> {
    if (!this.began || this.result.end !== 'none') return;
    // The rule, checked at the last moment: End2(Normal) only while no stop or abort has come.
    if (this.reason !== undefined) grbit = JET_bit.BackupEndAbort;
    try {
      await this.session.endExternalBackup(this.inst, grbit);
      this.result.end = grbit === JET_bit.BackupEndNormal ? 'normal' : 'abort';
    } catch (e) {
      if (isJetError(e, JET_err.NoBackup)) return;
      this.fail(e);
      // The session must not outlive the run (the next Begin would answer -505): End2(Abort) once more.
      try {
        await this.session.endExternalBackup(this.inst, JET_bit.BackupEndAbort);
        this.result.end = 'abort';
      } catch (again) {
        if (!isJetError(again, JET_err.NoBackup)) this.result.end = 'failed';
      }
    }
    this.checkStop(); // a stop that overtook End is the engine's verdict too (aborted by server)
  }

  private checkStop(): void {
    if (!this.began) return;
    const stop = this.options.coordinator.snapshot(this.inst).context.session?.stopReason;
    if (stop) this.noteStop(stop);
  }

  private noteStop(stop: StopReason): void {
    this.stopReason ??= stop;
    this.note('stopped');
  }

  private note(reason: BackupOutcomeKind): void {
    this.reason ??= reason;
  }

  /** An error: a stop's -801 or a stopped service's -1329 is a stop, anything else a failure. */
  private fail(e: unknown): void {
    const error = e instanceof Error ? e : new Error(String(e));
    this.checkStop();
    this.note(isJetError(e, JET_err.BackupAbortByServer) || isJetError(e, JET_err.ClientRequestToStopJetService) ? 'stopped' : 'failed');
    this.error ??= error;
  }
}
