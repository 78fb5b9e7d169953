import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { nodeBackupFs, unlinkRetried, verifyFsOf, writeNewFile, type BackupFs } from './backup-fs.js';
import { readSetTextFile, SetFileError } from './open-set-file.js';
import { nodeVerifyFs, type VerifyFs } from './verify-fs.js';

/** A lock file is a few hundred bytes; a larger one is not a lock this package wrote. */
const MAX_LOCK_BYTES = 64 * 1024;

/** The content of a lock file: who runs the backup, of which instance, since when, into what. */
export interface BackupLock {
  pid: number;
  hostname: string;
  /** Linux: the process start time (clock ticks since boot, /proc/<pid>/stat field 22), to see through pid reuse. */
  processStart?: number;
  /** The instance being backed up, as the manifest names it. */
  instance: { backend: string; handle: string; name?: string };
  /** ISO 8601 time the run started. */
  startTime: string;
  /** The run's temporary directory. */
  temporary: string;
}

/**
 * Creates the lock file atomically with its content: written to a side file and fdatasynced, then
 * hard-linked to the lock name (which fails if the lock exists), so a lock is never seen half written,
 * not even after a power cut. Every call goes through `io` (the fault campaign fails each in turn).
 *
 * The side file is removed afterwards (tried twice). If both attempts fail, the lock still stands and
 * the side file `.<set>.lock.<pid>-<digits>` stays until `cleanOrphans` finds its process gone.
 *
 * @returns `undefined` when the lock was taken, or the lock that already holds the name.
 * @throws the file system's error for anything but an existing lock (nothing is then left under the lock's name).
 * @example
 * const held = await writeBackupLock(paths.lock, lock); if (held) throw new Error(`busy: pid ${held.pid}`);
 */
export async function writeBackupLock(file: string, lock: BackupLock, io: BackupFs = nodeBackupFs): Promise<BackupLock | undefined> {
  // Digits only (what `cleanOrphans` recognizes); the random tail keeps two runs of one process in the
  // same millisecond from sharing a side file (and one removing the other's).
  const side = `${file}.${lock.pid}-${Date.now()}${String(randomInt(1_000_000)).padStart(6, '0')}`;
  let held: BackupLock | undefined;
  try {
    await writeNewFile(io, side, Buffer.from(JSON.stringify(lock, null, 2)));
    try {
      await io.link(side, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Who holds it is for the message only: a lock that cannot be read is still held.
      const holder = await readBackupLock(file, verifyFsOf(io)).catch(() => undefined);
      held = holder ?? { pid: -1, hostname: '?', instance: { backend: '?', handle: '?' }, startTime: '?', temporary: '?' };
    }
  } catch (e) {
    await unlinkRetried(io, side).catch(() => undefined);
    throw e;
  }
  // The lock is taken (or refused): a side file that will not go is litter, not a reason to fail.
  await unlinkRetried(io, side).catch(() => undefined);
  return held;
}

/**
 * Removes a lock file (tried twice; already gone is fine).
 * @throws the file system's error when it stays: it names this live process, so the set's name is
 *   refused as busy until the process exits and `cleanOrphans` removes it.
 */
export async function removeBackupLock(file: string, io: BackupFs = nodeBackupFs): Promise<void> {
  await unlinkRetried(io, file);
}

/**
 * Reads a lock file through `io` (node:fs by default) as a set's files are read: a regular file
 * (never a symlink followed, a FIFO or device opened) of at most 64 KiB, UTF-8.
 *
 * @returns the lock; `undefined` when nothing has the name or it is not a lock this package wrote.
 * @throws SetFileError naming the file and why when it cannot be read (an I/O error, a symlink, too large).
 * @example
 * const lock = await readBackupLock('/backups/.monday.lock'); if (lock) console.log(lock.pid, lock.hostname);
 */
export async function readBackupLock(file: string, io: VerifyFs = nodeVerifyFs): Promise<BackupLock | undefined> {
  let text: string;
  try {
    text = await readSetTextFile(file, MAX_LOCK_BYTES, io);
  } catch (e) {
    if (e instanceof SetFileError && e.code === 'ENOENT') return undefined;
    if (e instanceof SetFileError && e.message.startsWith(`${file} is not UTF-8`)) return undefined;
    throw e;
  }
  try {
    const lock = JSON.parse(text) as BackupLock;
    return Number.isSafeInteger(lock.pid) &&
      typeof lock.temporary === 'string' &&
      typeof lock.instance === 'object' &&
      lock.instance !== null
      ? lock
      : undefined;
  } catch {
    return undefined;
  }
}

/** The lock describing this process running a backup of `instance` into `temporary`. */
export function ownBackupLock(instance: BackupLock['instance'], temporary: string, startTime: Date): BackupLock {
  const processStart = processStartOf(process.pid);
  return {
    pid: process.pid,
    hostname: os.hostname(),
    ...(processStart === undefined ? {} : { processStart }),
    instance,
    startTime: startTime.toISOString(),
    temporary,
  };
}

/**
 * Whether the process that wrote the lock is gone: same host (`hostname`, this host's name by default),
 * and no process has its pid (or, on Linux, the process with that pid started at another time). A lock
 * of another host is never gone: this host cannot tell.
 */
export function lockOwnerGone(lock: Pick<BackupLock, 'pid' | 'hostname' | 'processStart'>, hostname: string = os.hostname()): boolean {
  if (lock.hostname !== hostname) return false;
  if (!processAlive(lock.pid)) return true;
  const start = processStartOf(lock.pid);
  return lock.processStart !== undefined && start !== undefined && start !== lock.processStart;
}

/** Whether a process with `pid` exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function processStartOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count fields after the last ')'.
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isSafeInteger(start) ? start : undefined;
  } catch {
    return undefined;
  }
}
