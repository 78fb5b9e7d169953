import type { Observable } from 'rxjs';
import type { Coordinator, StopReason } from '../coordinator/index.js';
import type { JetInstance } from '../jet/index.js';
import type { BackupFs } from './backup-fs.js';
import type { BackupManifest } from './backup-manifest.js';
import type { BackupOutcomeKind, BackupProgress } from './backup-progress.js';
import type { OrphanReport } from './clean-orphans.js';
import { isFileDigestAlgorithm, type FileDigestAlgorithm } from './file-digest.js';
import type { BackupSetReport } from './verify-backup-set.js';

/**
 * Bytes per JetReadFileInstance unless `RunBackupOptions.readSize` says otherwise: 1 MiB. Measured on a
 * quiet machine with the run's buffers kept warm (`ChunkBufferPool`; docs/benchmarks.md, "The backup
 * runner"): 512 KiB and 1 MiB reads gave steady runs near the durable copy's speed, while 2 and 4 MiB
 * reads fell, in one run of two or three, to 400–650 MiB/s (buffers and page-cache writes of 2 MiB).
 * A stop lands after the read in flight, so a smaller read also means an earlier stop.
 */
export const DEFAULT_READ_SIZE = 1024 * 1024;

/** Options of `runBackup`. */
export interface RunBackupOptions {
  coordinator: Coordinator;
  instance: JetInstance;
  /** The set's final directory (must not exist); its parent holds the temporary directory and lock. */
  to: string;
  /** `full`: Begin(0), databases then logs; `incremental`: Begin(JET_bitBackupIncremental), logs only. */
  mode: 'full' | 'incremental';
  /** Call JetTruncateLogInstance once the set is committed and verified from disk (default false). */
  truncateLogs?: boolean;
  /** Bytes per JetReadFileInstance: a multiple of the page size, at least 3 pages (default {@link DEFAULT_READ_SIZE}, 1 MiB). */
  readSize?: number;
  /** Abort the run: it stops reading, ends the session with End2(Abort) and resolves `aborted`. */
  signal?: AbortSignal;
  /** The instance's name for the manifest and the lock file. */
  instanceName?: string;
  /**
   * Verify the committed set even without `truncateLogs` (default false; always with it): every file is
   * re-read from the file system behind its writer while the rest of the set is copied (digest and ESE
   * checks, on another core), then `verifyBackupSet` checks the committed set, taking a file's re-read
   * only when the file is that very one, unchanged (device, inode, size, mtime, ctime), and reading any
   * other file again.
   */
  verify?: boolean;
  /**
   * Start a background fdatasync of a file each time this many bytes were written to it since the
   * last (default 8 MiB; 0: only when the file is closed). See `BackupFileSinkOptions.syncEvery`.
   */
  syncEvery?: number;
  /**
   * The file-system calls that write, commit and withdraw the set (default node:fs). A test wraps
   * them to count or fail them (the fault campaign); the source is read through the engine.
   */
  fs?: BackupFs;
  /** HMAC-SHA-256 key: the set gets `manifest.sig`, which `verifyBackupSet(dir, { signKey })` checks. */
  signKey?: Uint8Array;
  /**
   * The digest of every file, named in the manifest (`digest`): `'blake3'` (BLAKE3-256 through
   * `@napi-rs/blake-hash`) or `'sha256'`. Default BLAKE3, or SHA-256 with a process warning
   * (`ESE_BACKUP_BLAKE3_UNAVAILABLE`) where the package's binary cannot be loaded; an explicit
   * `'blake3'` that cannot be loaded fails the run before Begin (`Blake3UnavailableError`).
   */
  digest?: FileDigestAlgorithm;
}

/** What `runBackup` resolves with. */
export interface BackupResult {
  outcome: BackupOutcomeKind;
  /** What failed (`failed`), the JetError a stop surfaced as, or (`completed`) an End2 that failed after the logs were truncated. */
  error?: Error;
  /**
   * The set standing under the final name: a `completed` run's, or a `failed` run's whose truncation
   * began (TruncateLog was called: the set is kept, it may hold the only copy of the logs deleted), or
   * a `failed` run's that failed after its commit and could not take the set back (its withdrawal
   * failed too). Present exactly when a set stands under the final name.
   */
  set?: { path: string; manifest: BackupManifest };
  /** The first stop's reason, when a stop came (a stop after TruncateLog does not undo a completed run). */
  stopReason?: StopReason;
  /**
   * Which End2 ended the session: `none` when the engine or a shutdown hook had already ended it;
   * `abort` also when End2(Normal) failed and the End2(Abort) after it ended the session; `failed` both failed.
   */
  end: 'normal' | 'abort' | 'none' | 'failed';
  /**
   * Whether JetTruncateLogInstance deleted the logs of its range: `true` it succeeded; `'partial'` it
   * failed after deleting some (`logsTruncated` names them, `error` says why; the set is kept);
   * `false` no log was deleted.
   */
  truncated: boolean | 'partial';
  /**
   * Once TruncateLog was called: the logs of GetTruncateLogInfo's list no longer on disk afterwards
   * (checked with lstat, whether the call succeeded or not).
   */
  logsTruncated?: string[];
  /** The re-verification of the committed set, when it ran. */
  verification?: BackupSetReport;
  /**
   * What the clean-up before the run removed and kept. Its `failed` calls (a leftover that could not be
   * removed or judged) do not fail the run: one stuck leftover must not stop every backup after it.
   */
  orphans?: OrphanReport;
  /**
   * The set's lock file when it could not be removed (tried twice) and why: until it is removed, a run
   * to the same name is refused as busy; once this process is gone, `ese-backup clean` removes it.
   */
  lockLeft?: { path: string; error: string };
}

/** The run: a promise of its result, with its progress. */
export type BackupRun = Promise<BackupResult> & {
  /** Progress snapshots (the latest one replayed to a new subscriber); the last has `phase: 'done'` and the outcome; then it completes. */
  readonly progress$: Observable<BackupProgress>;
};

/**
 * Checks `runBackup`'s options before any engine call, naming the option at fault.
 *
 * @throws TypeError for a wrong type, RangeError for a value out of range (mode, readSize).
 */
export function checkRunBackupOptions(o: RunBackupOptions): void {
  if (typeof o !== 'object' || o === null) throw new TypeError('runBackup: options must be an object');
  if (typeof o.coordinator?.session !== 'function') throw new TypeError('runBackup: options.coordinator must be a Coordinator');
  if (typeof o.instance !== 'bigint') throw new TypeError(`runBackup: options.instance must be a bigint, got ${typeof o.instance}`);
  if (typeof o.to !== 'string' || o.to === '') throw new TypeError('runBackup: options.to must be a non-empty path');
  if (o.mode !== 'full' && o.mode !== 'incremental')
    throw new RangeError(`runBackup: options.mode must be 'full' or 'incremental', got ${String(o.mode)}`);
  if (o.readSize !== undefined && (!Number.isSafeInteger(o.readSize) || o.readSize <= 0 || o.readSize % 4096 !== 0)) {
    throw new RangeError(`runBackup: options.readSize must be a positive multiple of 4096, got ${String(o.readSize)}`);
  }
  if (o.signal !== undefined && typeof o.signal?.addEventListener !== 'function')
    throw new TypeError('runBackup: options.signal must be an AbortSignal');
  if (o.syncEvery !== undefined && (!Number.isSafeInteger(o.syncEvery) || o.syncEvery < 0))
    throw new RangeError(`runBackup: options.syncEvery must be a byte count >= 0, got ${String(o.syncEvery)}`);
  if (o.fs !== undefined && typeof o.fs?.open !== 'function') throw new TypeError('runBackup: options.fs must be a BackupFs');
  if (o.truncateLogs !== undefined && typeof o.truncateLogs !== 'boolean')
    throw new TypeError('runBackup: options.truncateLogs must be a boolean');
  if (o.digest !== undefined && !isFileDigestAlgorithm(o.digest))
    throw new RangeError(`runBackup: options.digest must be 'blake3' or 'sha256', got ${String(o.digest)}`);
  if (o.signKey !== undefined && !(o.signKey instanceof Uint8Array && o.signKey.length >= 16))
    throw new TypeError('runBackup: options.signKey must be a Uint8Array of at least 16 bytes');
}
