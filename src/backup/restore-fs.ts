import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hostTag } from './backup-set-names.js';
import type { VerifyFileHandle, VerifyFs } from './verify-fs.js';

/**
 * The file-system calls `restoreBackupSet` makes itself (the engine's own file work is behind the
 * engine object), the verification of the sets it restores included (`listSet`, `openRead`: see
 * {@link verifyFsOfRestore}). A test passes a wrapper that counts them or fails the k-th; production
 * uses {@link realRestoreFs}.
 */
export interface RestoreFs {
  lstat(file: string): Promise<fs.Stats>;
  mkdir(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  /** fsync a file or directory (opened read-only, never following a symlink). */
  fsync(file: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Remove a tree (best effort is the caller's choice). */
  rm(target: string): Promise<void>;
  /** Lists a set's directory with entry types, names as bytes: the verification's listing. */
  listSet(dir: string): Promise<fs.Dirent<Buffer>[]>;
  /** Opens a set's file for reading with numeric `flags`: the verification's reads go through the handle. */
  openRead(file: string, flags: number): Promise<VerifyFileHandle>;
}

/** The real file system. */
export const realRestoreFs: RestoreFs = {
  lstat: (file) => fsp.lstat(file),
  mkdir: async (dir) => void (await fsp.mkdir(dir)),
  readdir: (dir) => fsp.readdir(dir),
  async fsync(file) {
    const handle = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  rm: (target) => fsp.rm(target, { recursive: true, force: true }),
  listSet: (dir) => fsp.readdir(dir, { withFileTypes: true, encoding: 'buffer' }),
  openRead: (file, flags) => fsp.open(file, flags),
};

/** The read side of `rfs` as `verifyBackupSet` takes it: a restore verifies its sets through its own seam. */
export function verifyFsOfRestore(rfs: RestoreFs): VerifyFs {
  return { readdir: (dir) => rfs.listSet(dir), open: (file, flags) => rfs.openRead(file, flags) };
}

/**
 * The temporary directory a restore into `to` builds in: next to it, hidden, naming the host
 * ({@link hostTag} of `hostname`) and the process: `.<target>.restoring-<host>-<pid>-<hex>`. The host
 * lets `cleanOrphans` on a directory shared by several hosts leave another host's restore alone.
 */
export function restoreTemporaryPath(to: string, hostname: string = os.hostname()): string {
  return path.join(
    path.dirname(to),
    `.${path.basename(to)}.restoring-${hostTag(hostname)}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

/**
 * Creates the parents of `dir` that are missing and fsyncs each new one into its parent, up to the
 * first that existed (as pg_basebackup's fsync_parent_path does): a crash cannot lose them.
 */
export async function mkdirDurable(rfs: RestoreFs, dir: string): Promise<void> {
  const created: string[] = [];
  let at = dir;
  for (;;) {
    try {
      await rfs.lstat(at);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      created.push(at);
      const up = path.dirname(at);
      if (up === at) break;
      at = up;
    }
  }
  for (const d of created.reverse()) {
    try {
      await rfs.mkdir(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    await rfs.fsync(path.dirname(d));
  }
}

/** fsync every regular file directly in `dir`, then `dir` itself. */
export async function syncTree(rfs: RestoreFs, dir: string): Promise<void> {
  for (const name of await rfs.readdir(dir)) {
    const file = path.join(dir, name);
    if ((await rfs.lstat(file)).isFile()) await rfs.fsync(file);
  }
  await rfs.fsync(dir);
}
