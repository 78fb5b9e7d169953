import fs from 'node:fs';
import path from 'node:path';
import { nodeBackupFs, type BackupFs } from './backup-fs.js';
import type { BackupManifestFile } from './backup-manifest.js';
import { ChunkBufferPool } from './chunk-buffer-pool.js';
import { createChunkHasher, hashableBuffer, type ChunkHasher } from './chunk-hasher.js';
import type { EseFileReport } from './ese-file-report.js';
import { EseFileVerifier } from './ese-file-verifier.js';
import type { FileDigestAlgorithm } from './file-digest.js';
import type { VerifyFileHandle } from './verify-fs.js';

/** Bytes per re-read. */
const RECHECK_CHUNK = 2 * 1024 * 1024;
/** Re-read buffers: one is read into while the others' chunks are hashed. */
const RECHECK_BUFFERS = 3;

/**
 * Which file a recheck read: `verifyBackupSet` uses the recheck instead of reading the file again
 * only when the file it opens in the committed set is this one, unchanged since (`fstat`).
 */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** What re-reading one written file found: its bytes, their digest and the ESE checks, as `verifyBackupSet` reads a file. */
export interface RecheckedFile {
  name: string;
  /** The role the file was written as (its ESE checks depend on it). */
  role: BackupManifestFile['role'];
  bytes: number;
  /** The algorithm of `digest`: the set's. */
  algorithm: FileDigestAlgorithm;
  /** The bytes' digest, lower-case hex. */
  digest: string;
  ese: EseFileReport;
  /** The file as it was once every byte had been re-read (after its last write and fdatasync). */
  identity: FileIdentity;
}

/** `fstat` fields that change when a file is replaced or written. */
export function fileIdentity(stat: { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): FileIdentity {
  return { dev: stat.dev, ino: stat.ino, size: stat.size, mtimeNs: stat.mtimeNs, ctimeNs: stat.ctimeNs };
}

/** Whether two identities name the same, unchanged file. */
export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/**
 * A read of the set's file that failed while it was re-read behind its writer: an `open`, `read` or
 * `fstat` through the run's `BackupFs` threw, or fewer bytes came back than were written. The run
 * fails with it (`BackupSetWriter.recheckReadErrors`): a read of the set failed, whatever a later
 * read would find. `code` is the errno, when there was one.
 */
export class RecheckReadError extends Error {
  readonly code: string | undefined;
  constructor(
    readonly file: string,
    readonly operation: 'open' | 'read' | 'fstat',
    cause: unknown,
  ) {
    super(`${file}: re-reading it behind its writer failed (${operation}): ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'RecheckReadError';
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** `call()`, its failure thrown as a {@link RecheckReadError}. */
async function reading<T>(file: string, operation: RecheckReadError['operation'], call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw new RecheckReadError(file, operation, e);
  }
}

/**
 * The re-verification of one file of a set, run while the set is still being written: it re-reads
 * the file from the file system behind its writer (only bytes whose write completed), hashing them
 * (the set's digest, on a hashing thread of its own) and checking them as ESE pages, exactly as
 * `verifyBackupSet` reads a file, and finishes by reading to EOF once the file was closed. The
 * re-read runs beside the copy of the rest of the set, on the other core, instead of after the commit.
 *
 * The verdict is not taken here: `verifyBackupSet` of the committed set compares the digest with the
 * manifest's and reports the ESE problems, and uses a recheck only for the file it was made of
 * (same device, inode, size, mtime and ctime once the set is committed); any other file is read again.
 *
 * @example
 * const recheck = new WrittenFileRecheck(file, 'db', 'blake3');
 * recheck.written(1 << 20); ... ; const r = await recheck.finish(); // after the file's fdatasync
 *
 * Its open, reads and fstat go through `io` (the run's `BackupFs`; its close too, whose failure is
 * ignored: a read-only descriptor holds nothing to lose).
 */
export class WrittenFileRecheck {
  private readonly hasher: ChunkHasher;
  private readonly verifier: EseFileVerifier;
  /** Bytes known written (their write completed); `Infinity` once the file is closed: read to EOF. */
  private target = 0;
  private position = 0;
  private handle: Promise<VerifyFileHandle> | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly loop: Promise<RecheckedFile>;

  constructor(
    /** The file being written (in the set's temporary directory). */
    readonly path: string,
    readonly role: BackupManifestFile['role'],
    /** The set's digest. */
    readonly algorithm: FileDigestAlgorithm,
    /** The run's file system: the re-read is one of the run's reads of its set. */
    private readonly io: BackupFs = nodeBackupFs,
  ) {
    this.hasher = createChunkHasher(algorithm);
    this.verifier = new EseFileVerifier({ streamed: role === 'db' });
    this.loop = this.run();
    this.loop.catch(() => undefined); // raised by `finish`
  }

  /** The first `upTo` bytes of the file were written: they may be re-read. */
  written(upTo: number): void {
    if (upTo <= this.target) return;
    this.target = upTo;
    this.wake?.();
  }

  /** The file is closed (every write done and fdatasynced): read the rest to EOF and report. */
  finish(): Promise<RecheckedFile> {
    this.target = Infinity;
    this.wake?.();
    return this.loop;
  }

  /** Give up (the file is discarded): stops reading and closes the file; idempotent. */
  async dispose(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop.catch(() => undefined);
  }

  private async run(): Promise<RecheckedFile> {
    // The process's re-read buffers (first-touched memory is costly; see ChunkBufferPool), given back at the end.
    const pool = ChunkBufferPool.take(RECHECK_BUFFERS, RECHECK_CHUNK, hashableBuffer);
    const buffers: Uint8Array[] = [];
    /** Hashes in flight, oldest first, with the buffer each holds. */
    const busy: { hashed: Promise<void>; buffer: Uint8Array }[] = [];
    let file: VerifyFileHandle | undefined;
    /** The last chunk fed to the verifier (chunks are fed in order, each once its hash reply came). */
    let pushed: Promise<void> = Promise.resolve();
    try {
      for (let i = 0; i < RECHECK_BUFFERS; i++) buffers.push(await pool.acquire());
      for (;;) {
        while (!this.stopped && this.position >= this.target) await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        if (this.stopped) throw new Error(`${this.path}: recheck dropped`);
        // Never through a link: the name is the writer's own, in its own temporary directory.
        file ??= await reading(
          this.path,
          'open',
          () => (this.handle ??= this.io.openRead(this.path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)),
        );
        let buffer = buffers.pop();
        if (!buffer) {
          const oldest = busy.shift()!;
          await oldest.hashed;
          buffer = oldest.buffer;
        }
        const want = Math.min(buffer.length, this.target - this.position);
        const opened = file;
        const { bytesRead } = await reading(this.path, 'read', () => opened.read(buffer, 0, want, this.position));
        if (bytesRead === 0) {
          buffers.push(buffer);
          if (this.target === Infinity) break;
          // Bytes whose write completed are missing: a read of the set came back short, and the run fails.
          throw new RecheckReadError(this.path, 'read', new Error(`${this.position} bytes re-read, but ${this.target} were written`));
        }
        const chunk = buffer.subarray(0, bytesRead);
        const at = this.position;
        this.position += bytesRead;
        // The hashing thread checks the chunk's data pages too (once the header told their size), and the
        // chunk is fed to the verifier when it replies, in file order: the main thread only counts them.
        const reply = this.hasher.updateChecking(chunk, this.verifier.dataPageSize ?? 0, at);
        const previous = pushed;
        pushed = Promise.all([previous, reply]).then(([, verdict]) => this.verifier.push(chunk, verdict));
        const hashed = pushed;
        hashed.catch(() => undefined);
        busy.push({ hashed, buffer });
      }
      for (const b of busy) await b.hashed;
      await pushed;
      for (const b of busy.splice(0)) buffers.push(b.buffer);
      const opened = file;
      const identity = fileIdentity(await reading(this.path, 'fstat', () => opened.stat({ bigint: true })));
      const ese = this.verifier.finish();
      const digest = await this.hasher.digest();
      return { name: path.basename(this.path), role: this.role, bytes: this.position, algorithm: this.algorithm, digest, ese, identity };
    } catch (e) {
      // The hashing thread may still read a buffer: let every hash settle before the buffers go.
      await Promise.allSettled(busy.map((b) => b.hashed));
      for (const b of busy.splice(0)) buffers.push(b.buffer);
      this.hasher.dispose();
      throw e;
    } finally {
      // Every hash settled (above): no thread reads these buffers any more.
      for (const b of buffers.splice(0)) pool.release(b);
      pool.giveBack();
      await (await this.handle?.catch(() => undefined))?.close().catch(() => undefined);
    }
  }
}
