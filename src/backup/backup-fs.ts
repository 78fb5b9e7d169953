import type { Dirent, Stats } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { VerifyFileHandle, VerifyFs } from './verify-fs.js';

/** An open file as the backup writer uses it: positioned writes, fdatasync/fsync, close. Node's `FileHandle` is one. */
export interface BackupFileHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file-system calls a backup run makes to write, commit, verify and withdraw a set, and to clean
 * its directory before it starts (reading the source goes through the engine). `nodeBackupFs` is
 * node:fs itself; a test passes a wrapper that counts or fails calls. Thin on purpose: the write path
 * calls the handle's methods directly, with nothing added per chunk.
 *
 * The re-read of each file behind its writer (`WrittenFileRecheck`) reads through `openRead` too.
 * Not behind it: the lstat of the instance's logs after TruncateLog (the source's files, not the set's).
 */
export interface BackupFs {
  /** `wx` a new file of the set, `r+` a second handle for background fdatasyncs, `r` a directory to fsync. */
  open(file: string, flags: 'wx' | 'r+' | 'r'): Promise<BackupFileHandle>;
  /** One directory (not recursive); EEXIST when it exists. */
  mkdir(dir: string): Promise<void>;
  /** lstat(2): never follows a symbolic link; ENOENT when nothing has the name. */
  lstat(file: string): Promise<Stats>;
  rename(from: string, to: string): Promise<void>;
  /** link(2): a second name for `existing`; EEXIST when `newPath` exists (how the set's lock is taken atomically). */
  link(existing: string, newPath: string): Promise<void>;
  /** unlink(2); ENOENT when already gone. */
  unlink(file: string): Promise<void>;
  /** Remove a directory tree; nothing to remove is not an error. */
  removeTree(dir: string): Promise<void>;
  /** Lists `dir` with entry types, names as bytes (the post-commit verify and the clean before the run). */
  readdir(dir: string): Promise<Dirent<Buffer>[]>;
  /** Opens `file` for reading with numeric `flags` (`O_RDONLY | O_NOFOLLOW`, `| O_NONBLOCK` but for the re-read behind the writer): the verify's, the clean's and the re-read's reads. */
  openRead(file: string, flags: number): Promise<VerifyFileHandle>;
}

/** {@link BackupFs} as node:fs does it. */
export const nodeBackupFs: BackupFs = {
  open: (file, flags) => fsp.open(file, flags),
  mkdir: async (dir) => void (await fsp.mkdir(dir)),
  lstat: (file) => fsp.lstat(file),
  rename: (from, to) => fsp.rename(from, to),
  link: (existing, newPath) => fsp.link(existing, newPath),
  unlink: (file) => fsp.unlink(file),
  removeTree: (dir) => fsp.rm(dir, { recursive: true, force: true }),
  readdir: (dir) => fsp.readdir(dir, { withFileTypes: true, encoding: 'buffer' }),
  openRead: (file, flags) => fsp.open(file, flags),
};

/** The read side of `io` as `verifyBackupSet` takes it: the runner's post-commit verify reads through the run's own seam. */
export function verifyFsOf(io: BackupFs): VerifyFs {
  return { readdir: (dir) => io.readdir(dir), open: (file, flags) => io.openRead(file, flags) };
}

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** lstat, or `undefined` when nothing has the name. */
export async function lstatIfAny(fs: BackupFs, file: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(file);
  } catch (e) {
    if (code(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Create `file` (it must not exist), write all of `bytes` and fdatasync it: the manifest, its signature
 * and the lock's side file are written this way. On failure the handle is closed and the error thrown;
 * the half-written file stays for the caller to remove (with the temporary directory, or by name).
 */
export async function writeNewFile(fs: BackupFs, file: string, bytes: Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'wx');
  let failed = true;
  try {
    for (let done = 0; done < bytes.length;) done += (await handle.write(bytes, done, bytes.length - done, done)).bytesWritten;
    await handle.datasync();
    failed = false;
  } finally {
    // A failed close after a failed write must not hide the write's error.
    if (failed) await handle.close().catch(() => undefined);
    else await handle.close();
  }
}

/**
 * unlink(2) that tries once more after a failure (an I/O error may be transient); a name already gone
 * is not an error.
 * @throws the second attempt's error.
 */
export async function unlinkRetried(fs: BackupFs, file: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fs.unlink(file);
    } catch (e) {
      if (code(e) === 'ENOENT') return;
      if (attempt > 0) throw e;
    }
  }
}

/** fsync a directory: the names created, renamed or removed in it are durable. */
export async function syncDirectory(fs: BackupFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `mkdir -p dir`, durably: every directory it creates is fsynced into its parent, up to the first that
 * existed (as pg_basebackup's fsync_parent_path), so a crash cannot lose a new directory's entry and,
 * with it, what is later committed inside.
 *
 * @returns the directories created, outermost first.
 */
export async function makeDirectoryDurably(fs: BackupFs, dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !(await lstatIfAny(fs, d)); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  const created: string[] = [];
  for (const d of missing) {
    try {
      await fs.mkdir(d);
      created.push(d);
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e; // made meanwhile by someone else: still synced below
    }
  }
  for (const d of missing) await syncDirectory(fs, path.dirname(d));
  return created;
}
