import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { BackupManifestFile } from './backup-manifest.js';

/**
 * One file of a backup set being written: each chunk is hashed (SHA-256) when `write` is called and
 * written at the next position, so the digest costs no second read; `close` makes the file durable
 * (fdatasync) and returns its manifest entry.
 *
 * The caller may reuse a chunk's memory once its `write` resolved (not before): the two-buffer copy
 * reads the next chunk into the other buffer meanwhile.
 *
 * @example
 * const sink = await writer.addFile('data.edb', 'db', source);
 * await sink.write(chunk); const entry = await sink.close(); // { name, role, size, sha256, source }
 */
export class BackupFileSink {
  private readonly hash: Hash = createHash('sha256');
  private position = 0;
  private closed = false;

  /** @internal created by `BackupSetWriter.addFile`. */
  constructor(
    /** Absolute path of the file in the temporary directory. */
    readonly path: string,
    private readonly file: FileHandle,
    private readonly entry: Omit<BackupManifestFile, 'size' | 'sha256'>,
    private readonly onClose: (entry: BackupManifestFile) => void,
  ) {}

  /** Bytes written so far. */
  get size(): number {
    return this.position;
  }

  /** Hash `chunk` now and write it after the bytes before it. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`${this.path}: write after close`);
    this.hash.update(chunk);
    const at = this.position;
    this.position += chunk.length;
    for (let done = 0; done < chunk.length; ) {
      const { bytesWritten } = await this.file.write(chunk, done, chunk.length - done, at + done);
      done += bytesWritten;
    }
  }

  /** fdatasync, close, and report the file's manifest entry. */
  async close(): Promise<BackupManifestFile> {
    if (this.closed) throw new Error(`${this.path}: closed twice`);
    this.closed = true;
    try {
      await this.file.datasync();
    } finally {
      await this.file.close();
    }
    const entry: BackupManifestFile = { ...this.entry, size: this.position, sha256: this.hash.digest('hex') };
    this.onClose(entry);
    return entry;
  }

  /** Close without keeping the file (a failed or stopped copy). */
  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.file.close().catch(() => undefined);
    }
    fs.rmSync(this.path, { force: true });
  }
}
