import { nodeBackupFs, type BackupFileHandle, type BackupFs } from './backup-fs.js';
import type { BackupManifestFile } from './backup-manifest.js';
import { createChunkHasher, type ChunkHasher } from './chunk-hasher.js';
import type { FileDigestAlgorithm } from './file-digest.js';
import type { RecheckedFile, WrittenFileRecheck } from './written-file-recheck.js';

/** Options of a {@link BackupFileSink}. */
export interface BackupFileSinkOptions {
  /**
   * Start an fdatasync in the background each time this many bytes were written since the last one
   * started (default 8 MiB; 0: only at `close`). The disk then writes back while the copy goes on, and
   * the fdatasync of `close` has little left to do. Only one runs at a time; a failure fails `close`.
   */
  syncEvery?: number;
  /**
   * Re-read the file behind the writer (`WrittenFileRecheck`): each completed write is handed to it,
   * and `close` tells it to read to EOF. Off by default.
   */
  recheck?: boolean;
  /** The digest recorded for the file (the set's, named in its manifest); default SHA-256. */
  digest?: FileDigestAlgorithm;
}

/** Default of {@link BackupFileSinkOptions.syncEvery}. */
export const DEFAULT_SYNC_EVERY = 8 * 1024 * 1024;

/**
 * One file of a backup set being written: each chunk is hashed (the set's digest, BLAKE3 or SHA-256, in order, on the hashing
 * thread when the chunk lives in shared memory) and written at the next position, so the digest costs
 * no second read; `close` makes the file durable (fdatasync) and returns its manifest entry.
 *
 * Several chunks may be in flight: `write` takes the chunk's place in the file at once and resolves
 * when the chunk was both hashed and written, and only then may its memory be reused. Writes reach the
 * file one after the other (a buffered write holds the inode lock anyway); fdatasyncs run in the
 * background every `syncEvery` bytes.
 *
 * @example
 * const sink = await writer.addFile('data.edb', 'db', source);
 * await sink.write(chunk); const entry = await sink.close(); // { name, role, size, blake3, source }
 */
export class BackupFileSink {
  private readonly hasher: ChunkHasher;
  private readonly algorithm: FileDigestAlgorithm;
  private readonly syncEvery: number;
  private position = 0;
  private closed = false;
  /** Discarded: writes not started yet are dropped. */
  private discarded = false;
  /** The last write queued: the next one starts when it is done. */
  private writing: Promise<void> = Promise.resolve();
  /** Every write and hash not settled yet. */
  private readonly pending = new Set<Promise<void>>();
  private syncing: Promise<void> | undefined;
  /**
   * A second handle of the file, for the background fdatasyncs only: a discarded file does not wait
   * for one to finish (it closes when it does), and the write handle's final fdatasync still reports
   * every writeback error since the file was created (errors are tracked per open file).
   */
  private syncHandle: Promise<BackupFileHandle> | undefined;
  private unsynced = 0;
  /** The first failure of a write, a hash or a background fdatasync: `close` raises it. */
  private failure: Error | undefined;
  /** The recheck's report, once `close` told it the file is complete. */
  private recheckDone: Promise<RecheckedFile> | undefined;

  /** @internal created by `BackupSetWriter.addFile`. */
  constructor(
    /** Absolute path of the file in the temporary directory. */
    readonly path: string,
    private readonly file: BackupFileHandle,
    private readonly entry: Omit<BackupManifestFile, 'size' | 'sha256' | 'blake3'>,
    private readonly onClose: (entry: BackupManifestFile) => void,
    options: BackupFileSinkOptions = {},
    private readonly fs: BackupFs = nodeBackupFs,
    /** Re-reads the file behind this writer (see `BackupFileSinkOptions.recheck`). */
    private readonly recheck?: WrittenFileRecheck,
  ) {
    this.syncEvery = options.syncEvery ?? DEFAULT_SYNC_EVERY;
    this.algorithm = options.digest ?? 'sha256';
    this.hasher = createChunkHasher(this.algorithm);
  }

  /**
   * The recheck's report once the file was closed (`undefined` without a recheck or before `close`);
   * rejects when the recheck failed: with a `RecheckReadError` when a read of the file failed (the run
   * then fails), otherwise `verifyBackupSet` reads the file again.
   */
  get rechecked(): Promise<RecheckedFile> | undefined {
    return this.recheckDone;
  }

  /** Bytes given to `write` so far. */
  get size(): number {
    return this.position;
  }

  /**
   * Hash `chunk` and write it after the bytes before it. Resolves once both are done (the chunk's
   * memory is free again); rejects with the write's or the hash's error.
   */
  write(chunk: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path}: write after close`));
    if (this.failure) return Promise.reject(this.failure);
    const at = this.position;
    this.position += chunk.length;
    const hashed = this.hasher.update(chunk);
    const written = this.writing.then(async () => {
      if (this.discarded) throw new Error(`${this.path}: discarded`);
      await this.writeAt(chunk, at);
      // Writes complete in file order: every byte before `at + length` is in the file now.
      this.recheck?.written(at + chunk.length);
    });
    // The next write waits for this one, whatever its fate (its failure is raised through `done`).
    this.writing = written.catch(() => undefined);
    // Both settle before the chunk is released: the hashing thread may still read it after a failed write.
    const done = Promise.allSettled([written, hashed]).then(([w, h]) => {
      const failed = w.status === 'rejected' ? w : h.status === 'rejected' ? h : undefined;
      if (failed) throw (this.failure ??= asError(failed.reason));
      this.wrote(chunk.length);
    });
    this.track(done);
    return done;
  }

  /** Wait for every write and hash, fdatasync, close, and report the file's manifest entry. */
  async close(): Promise<BackupManifestFile> {
    if (this.closed) throw new Error(`${this.path}: closed twice`);
    this.closed = true;
    let hex: string | undefined;
    try {
      await this.settle();
      await this.syncing;
      if (this.failure) throw this.failure;
      await this.file.datasync();
      hex = await this.hasher.digest();
      if (this.recheck) {
        this.recheckDone = this.recheck.finish();
        this.recheckDone.catch(() => undefined); // taken by the writer's `rechecked` / `recheckReadErrors`
      }
    } finally {
      this.hasher.dispose();
      try {
        await this.file.close();
      } finally {
        await this.closeSyncHandle();
      }
    }
    const entry: BackupManifestFile = { ...this.entry, size: this.position, [this.algorithm]: hex };
    this.onClose(entry);
    return entry;
  }

  /**
   * Close without keeping the file (a failed or stopped copy): waits for the write under way (queued
   * ones are dropped), closes and removes the file. Neither a background fdatasync nor the hashing of
   * chunks in flight is waited for: the fdatasync's own handle closes when it finishes (the file is gone
   * from the directory by then), and the hash is dropped; the caller reads nothing into those chunks'
   * buffers any more.
   */
  async discard(): Promise<void> {
    this.discarded = true;
    const recheck = this.recheck?.dispose();
    if (!this.closed) {
      this.closed = true;
      this.hasher.dispose();
      await this.writing; // only the write already under way: the queued ones are dropped
      await this.file.close().catch(() => undefined);
      void this.closeSyncHandle().catch(() => undefined);
    }
    await this.fs.unlink(this.path).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    });
    await recheck;
  }

  private async writeAt(chunk: Uint8Array, at: number): Promise<void> {
    for (let done = 0; done < chunk.length;) {
      const { bytesWritten } = await this.file.write(chunk, done, chunk.length - done, at + done);
      done += bytesWritten;
    }
  }

  /** A chunk is on its way to the disk: start a background fdatasync when enough piled up. */
  private wrote(n: number): void {
    this.unsynced += n;
    if (this.syncEvery <= 0 || this.unsynced < this.syncEvery || this.syncing || this.closed) return;
    this.unsynced = 0;
    this.syncHandle ??= this.fs.open(this.path, 'r+');
    const sync = this.syncHandle
      .then((h) => h.datasync())
      .then(
        () => undefined,
        (e: unknown) => void (this.failure ??= asError(e)),
      );
    this.syncing = sync.finally(() => (this.syncing = undefined));
  }

  /** Close the background fdatasync's handle once its fdatasync (if any) finished. */
  private async closeSyncHandle(): Promise<void> {
    const handle = this.syncHandle;
    if (!handle) return;
    await this.syncing;
    await (await handle.catch(() => undefined))?.close();
  }

  private track(p: Promise<void>): void {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
  }

  /** Every write and hash settled (errors are in `failure`); a background fdatasync may still run. */
  private async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
