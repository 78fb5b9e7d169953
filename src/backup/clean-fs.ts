import type { Stats } from 'node:fs';
import fsp from 'node:fs/promises';
import { lockInstanceDirectory, type InstanceLock } from '../engine/instance-lock.js';
import type { BackupFs } from './backup-fs.js';
import { nodeVerifyFs, type VerifyFs } from './verify-fs.js';

/**
 * Every file-system call `cleanOrphans` makes in a backup directory: the listing, `lstat`s, the reads
 * of lock files (through `open`, as a set's files are read: no symlink followed, no FIFO opened), the
 * removals, and the probe of a dead restore's embedded instance lock (flock, taken and held while its
 * directory is removed). `listBackupSets` uses the listing, `lstat` and reads. node:fs by default; the
 * clean fault campaign wraps it to fail each call in turn.
 */
export interface CleanFs extends VerifyFs {
  /** lstat(2): ENOENT when nothing has the name. */
  lstat(file: string): Promise<Stats>;
  /** Remove a directory tree or a file; nothing to remove is not an error. */
  removeTree(target: string): Promise<void>;
  /** Take the embedded instance lock of a restore's directory (`lockInstanceDirectory`): JetError -1032 when a live process holds it. */
  lockInstance(dir: string): Promise<InstanceLock>;
}

/** {@link CleanFs} on node:fs. */
export const nodeCleanFs: CleanFs = {
  ...nodeVerifyFs,
  lstat: (file) => fsp.lstat(file),
  removeTree: (target) => fsp.rm(target, { recursive: true, force: true }),
  lockInstance: async (dir) => lockInstanceDirectory(dir, 'JetRestoreInstance'),
};

/**
 * The clean a backup run makes before it starts, through the run's own file system (`io`): its
 * listing, `lstat`s, reads and removals fail as the run's writes do. The instance lock probe is node's.
 */
export function cleanFsOf(io: BackupFs): CleanFs {
  return {
    readdir: (dir) => io.readdir(dir),
    open: (file, flags) => io.openRead(file, flags),
    lstat: (file) => io.lstat(file),
    removeTree: (target) => io.removeTree(target),
    lockInstance: nodeCleanFs.lockInstance,
  };
}
