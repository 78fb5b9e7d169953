import { randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * The names a run uses next to the final set `<parent>/<name>`: the temporary directory
 * `.<name>.partial-<pid>-<random>` the files are written into, and the lock file `.<name>.lock`.
 * Both start with a dot and carry the pid, so a cleaner can tell them from committed sets and find
 * whose they are.
 */
export interface BackupSetPaths {
  /** The set's final path (after the atomic rename). */
  final: string;
  /** The temporary directory, in the same parent so the rename stays on one file system. */
  temporary: string;
  /** The lock file marking the run in progress. */
  lock: string;
}

const PARTIAL = /^\.(.+)\.partial-(\d+)-([0-9a-f]+)$/;
const LOCK = /^\.(.+)\.lock$/;
const LOCK_SIDE = /^\.(.+)\.lock\.(\d+)-\d+$/;
/** A restore's temporary directory (`restoreTemporaryPath`): `.<target>.restoring-<pid>-<hex>`. */
const RESTORING = /^\.(.+)\.restoring-(\d+)-([0-9a-f]+)$/;

/**
 * The paths of a run of process `pid` writing the set `final`.
 *
 * @example
 * backupSetPaths('/backups/monday') // { temporary: '/backups/.monday.partial-4242-9f1c…', lock: '/backups/.monday.lock', … }
 */
export function backupSetPaths(final: string, pid: number = process.pid): BackupSetPaths {
  const resolved = path.resolve(final);
  const parent = path.dirname(resolved);
  const name = path.basename(resolved);
  if (name === '' || name === '.' || name === '..' || name.startsWith('.')) {
    throw new RangeError(`a backup set name must not start with a dot, got ${JSON.stringify(name)}`);
  }
  return {
    final: resolved,
    temporary: path.join(parent, `.${name}.partial-${pid}-${randomBytes(6).toString('hex')}`),
    lock: path.join(parent, `.${name}.lock`),
  };
}

/** What a directory entry's name says it is: a run's temporary directory, a lock, a restore's temporary directory, or none of them. */
export type BackupSetEntry =
  | { kind: 'partial'; set: string; pid: number }
  | { kind: 'lock'; set: string }
  /** The side file a lock is written to before it is linked to its name (left by a kill in between). */
  | { kind: 'lockSide'; set: string; pid: number }
  /** The directory a restore into `<parent>/<target>` builds in before its rename (`restoreTemporaryPath`). */
  | { kind: 'restoring'; target: string; pid: number }
  | { kind: 'other' };

/**
 * Classifies a name found in a backup directory by the patterns of {@link backupSetPaths}.
 *
 * @example
 * parseBackupSetEntry('.monday.partial-4242-9f1c') // { kind: 'partial', set: 'monday', pid: 4242 }
 */
export function parseBackupSetEntry(name: string): BackupSetEntry {
  const partial = PARTIAL.exec(name);
  if (partial) return { kind: 'partial', set: partial[1]!, pid: Number(partial[2]) };
  const lock = LOCK.exec(name);
  if (lock) return { kind: 'lock', set: lock[1]! };
  const side = LOCK_SIDE.exec(name);
  if (side) return { kind: 'lockSide', set: side[1]!, pid: Number(side[2]) };
  const restoring = RESTORING.exec(name);
  if (restoring) return { kind: 'restoring', target: restoring[1]!, pid: Number(restoring[2]) };
  return { kind: 'other' };
}
