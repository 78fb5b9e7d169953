import type fs from 'node:fs';
import fsp from 'node:fs/promises';

/** An open file of a set as the verifier reads it: positioned reads, `fstat`, close. */
export interface VerifyFileHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<fs.Stats>;
  stat(options: { bigint: true }): Promise<fs.BigIntStats>;
  close(): Promise<void>;
}

/**
 * Every file-system call `verifyBackupSet` makes on a set: the listing and the opens (the reads,
 * `fstat`s and closes go through the returned handle). node:fs is the default; the verify fault
 * campaign wraps it to fail each call in turn.
 */
export interface VerifyFs {
  /** Lists `dir` with entry types, names as bytes (`readdir(dir, { withFileTypes: true, encoding: 'buffer' })`). */
  readdir(dir: string): Promise<fs.Dirent<Buffer>[]>;
  /** Opens `file` with numeric `flags` (`O_RDONLY | O_NOFOLLOW | O_NONBLOCK`). */
  open(file: string, flags: number): Promise<VerifyFileHandle>;
}

/** {@link VerifyFs} on node:fs. */
export const nodeVerifyFs: VerifyFs = {
  readdir: (dir) => fsp.readdir(dir, { withFileTypes: true, encoding: 'buffer' }),
  open: (file, flags) => fsp.open(file, flags),
};
