import { createHash, randomBytes } from 'node:crypto';
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
/**
 * A restore's temporary directory (`restoreTemporaryPath`): `.<target>.restoring-<host>-<pid>-<hex>`,
 * or, as restores before the host was recorded named it, `.<target>.restoring-<pid>-<hex>`. The pid and
 * the hex are the last two parts, so a host tag (which may hold dashes) is told from the old form by
 * its extra part.
 */
const RESTORING = /^\.(.+)\.restoring-(?:([A-Za-z0-9_-]{1,64})-)?(\d+)-([0-9a-f]+)$/;
/** Longest host tag kept as is; a longer or changed name is cut and suffixed with a hash of the whole. */
const HOST_TAG_MAX = 40;

/**
 * The form of a host name a restore's temporary directory records: letters, digits and dashes kept, at
 * most 40 characters; any other character becomes `_`, and a name that had to change (other
 * characters, longer, empty) is cut to 31 and suffixed `_` and 8 hex digits of its SHA-256, so two hosts
 * whose names differ get different tags (unless those 32 bits collide).
 *
 * @example
 * hostTag('db-01') // 'db-01'
 * hostTag('db-01.corp.example') // 'db-01_corp_example_3f2a9c01'
 */
export function hostTag(hostname: string): string {
  const kept = hostname.replace(/[^A-Za-z0-9-]/g, '_');
  if (kept === hostname && kept.length > 0 && kept.length <= HOST_TAG_MAX) return kept;
  return `${kept.slice(0, 31)}_${createHash('sha256').update(hostname, 'utf8').digest('hex').slice(0, 8)}`;
}

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
  /**
   * The directory a restore into `<parent>/<target>` builds in before its rename (`restoreTemporaryPath`);
   * `host` is the {@link hostTag} of the restoring host, absent in the old form (no host recorded).
   */
  | { kind: 'restoring'; target: string; pid: number; host?: string }
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
  if (restoring)
    return {
      kind: 'restoring',
      target: restoring[1]!,
      pid: Number(restoring[3]),
      ...(restoring[2] !== undefined ? { host: restoring[2] } : {}),
    };
  return { kind: 'other' };
}
