import type fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isJetError, JET_err } from '../jet/index.js';
import { INSTANCE_LOCK_FILE, parseInstanceLockHolder, type InstanceLock } from '../engine/instance-lock.js';
import { lockOwnerGone, processAlive, readBackupLock, type BackupLock } from './backup-lock.js';
import { hostTag, parseBackupSetEntry } from './backup-set-names.js';
import { nodeCleanFs, type CleanFs } from './clean-fs.js';
import { readSetTextFile, SetFileError } from './open-set-file.js';

/**
 * The backup session of a run that died. Reported, never ended: the engines this package drives run
 * inside the process (the embedded engine, esent.dll), so the session ended with its process.
 */
export interface OrphanSession {
  instance: BackupLock['instance'];
  pid: number;
  startTime: string;
  /** The set the run was writing. */
  set: string;
}

/** A file-system call of the clean that failed: what it could not do, on which path. */
export interface OrphanCleanFailure {
  path: string;
  /** `lstat`, `read` (a lock file), `remove`, `lock` (a dead restore's instance lock). */
  operation: 'lstat' | 'read' | 'remove' | 'lock';
  /** The errno code (`EIO`, `ENOSPC`, `EACCES`…) or the JET error number, when there is one. */
  code?: string | number;
  message: string;
}

/** What {@link cleanOrphans} did. */
export interface OrphanReport {
  /** Paths removed: temporary directories (of backups and of restores), lock files and their side files. Each is gone. */
  removed: string[];
  /** Run files left alone, and why (a live run or restore, another host, an unreadable lock, a failed call). */
  kept: Array<{ path: string; reason: string }>;
  /** Sessions of the dead runs: they died with their processes (nothing to end). */
  sessions: OrphanSession[];
  /**
   * The file-system calls that failed: what stays because of them is also in `kept` (or, for a removal
   * that failed part-way, may be partly gone). Empty when every call succeeded.
   */
  failed: OrphanCleanFailure[];
}

/** Options of {@link cleanOrphans}. */
export interface CleanOrphansOptions {
  /** Every file-system call the clean makes (default node:fs); the clean fault campaign fails each in turn through it. */
  fs?: CleanFs;
  /**
   * This host's name (default `os.hostname()`): locks and restores of another host are kept. A test
   * names a host here to play a second host on a shared directory.
   */
  hostname?: string;
}

/** The errno code of a node:fs error, or the JET error number of a JetError. */
const codeOf = (e: unknown): string | number | undefined => {
  if (isJetError(e)) return e.err;
  const c = (e as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
};
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Finds what killed runs left in a backup directory and removes it: each lock whose process is gone
 * (same host, no such pid, or a pid reused by a younger process) with the temporary directory it
 * names, temporary directories of gone processes that no live lock claims, and lock side files.
 * Also the temporary directories of restores that died (`.<target>.restoring-<host>-<pid>-<hex>`,
 * which `restoreBackupSet` builds in before one rename gives it the target's name): removed when the
 * host is this host, that pid is gone and no process holds the embedded instance lock inside (see
 * `cleanDeadRestore`). Another host's restore is kept and reported (this host cannot tell whether it
 * is alive). A restore directory of the old form (`.<target>.restoring-<pid>-<hex>`, no host) is judged
 * as this host's, as before the host was recorded.
 * Only names of the form `.<set>.partial-<pid>-<hex>`, `.<set>.lock`, `.<set>.lock.<pid>-<n>` and a
 * restore's temporary directory (a real directory) are ever touched: a committed set or a restore
 * target is never read, moved or removed.
 *
 * Faults: every call goes through `options.fs`. A call that fails is named in `failed` and what it
 * concerned is kept (a lock that cannot be read, a directory whose type or lock cannot be checked) or,
 * for a failed removal, not reported as removed; the clean goes on with the other entries. Only a
 * listing of `dir` that fails throws (nothing can be judged without it).
 *
 * ESE rule: a backup session belongs to the instance of the process that began it; when the process
 * dies, its instance, session and (embedded engine) instance lock die with it. So a dead run's session
 * needs no End2(Abort), and none is called: a handle is only a number of one process, and ending "the
 * same handle" here would end a live session of this process (JET_errNoBackup -520 for its run). The
 * report still names the dead runs' sessions.
 *
 * @param dir the directory holding backup sets (absent: nothing to do).
 * @throws TypeError for a bad argument; Error naming `dir` (with the errno `code`) when it cannot be listed.
 * @example
 * const { removed, sessions, failed } = await cleanOrphans('/backups');
 */
export async function cleanOrphans(dir: string, options: CleanOrphansOptions = {}): Promise<OrphanReport> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('cleanOrphans: dir must be a non-empty path');
  if (options.fs !== undefined && typeof options.fs?.removeTree !== 'function')
    throw new TypeError('cleanOrphans: options.fs must be a CleanFs');
  const io = options.fs ?? nodeCleanFs;
  const hostname = options.hostname ?? os.hostname();
  const report: OrphanReport = { removed: [], kept: [], sessions: [], failed: [] };
  let names: string[];
  try {
    // Names as bytes: one that is not UTF-8 is none of ours (all our names are built from UTF-8 strings).
    names = (await io.readdir(dir)).flatMap((e) => {
      const name = e.name.toString('utf8');
      return Buffer.from(name, 'utf8').equals(e.name) ? [name] : [];
    });
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return report;
    throw Object.assign(new Error(`cleanOrphans: cannot list ${dir} (readdir): ${messageOf(e)}`, { cause: e }), { code: codeOf(e) });
  }
  const fail = (file: string, operation: OrphanCleanFailure['operation'], e: unknown) => {
    const code = codeOf(e);
    report.failed.push({
      path: file,
      operation,
      ...(code !== undefined ? { code } : {}),
      message: `${operation} ${file}: ${messageOf(e)}`,
    });
  };
  /** Removes `file`; `false` (named in `failed` and `kept`) when the removal failed. */
  const remove = async (file: string): Promise<boolean> => {
    try {
      await io.removeTree(file);
    } catch (e) {
      fail(file, 'remove', e);
      report.kept.push({ path: file, reason: `could not be removed (it may be partly removed): ${messageOf(e)}` });
      return false;
    }
    report.removed.push(file);
    return true;
  };
  /** lstat: the stats, `undefined` when nothing has the name, `'failed'` (named in `failed`) otherwise. */
  const stat = async (file: string): Promise<fs.Stats | undefined | 'failed'> => {
    try {
      return await io.lstat(file);
    } catch (e) {
      if (codeOf(e) === 'ENOENT') return undefined;
      fail(file, 'lstat', e);
      return 'failed';
    }
  };
  /** A lock file's content; `'failed'` when it cannot be read (named in `failed` for an I/O error). */
  const readLock = async (file: string): Promise<BackupLock | undefined | { error: string }> => {
    try {
      return await readBackupLock(file, io);
    } catch (e) {
      // A symlink, a FIFO, a file too large: not a lock this tool wrote. Anything else is a failed read.
      if (!(e instanceof SetFileError && ['ELOOP', 'EMLINK', 'ENXIO', undefined].includes(e.code))) fail(file, 'read', e);
      return { error: messageOf(e) };
    }
  };
  // Temporary directories a lock speaks for: kept with a live lock, removed with a dead one.
  const claimed = new Set<string>();
  const locks = new Map<string, BackupLock | undefined | { error: string }>();
  for (const name of names) {
    const entry = parseBackupSetEntry(name);
    if (entry.kind !== 'lock') continue;
    const file = path.join(dir, name);
    const lock = await readLock(file);
    locks.set(entry.set, lock);
    if (!lock || 'error' in lock) {
      report.kept.push({ path: file, reason: lock ? `its lock cannot be read: ${lock.error}` : 'not a lock this tool can read' });
      continue;
    }
    const temporary = path.join(dir, path.basename(lock.temporary));
    claimed.add(path.basename(temporary));
    if (!lockOwnerGone(lock, hostname)) {
      const reason = `run in progress: pid ${lock.pid} on ${lock.hostname} since ${lock.startTime}`;
      report.kept.push({ path: file, reason });
      const there = await stat(temporary);
      if (there !== undefined) report.kept.push({ path: temporary, reason });
      continue;
    }
    report.sessions.push({ instance: lock.instance, pid: lock.pid, startTime: lock.startTime, set: path.join(dir, entry.set) });
    if (parseBackupSetEntry(path.basename(temporary)).kind === 'partial') {
      const there = await stat(temporary);
      // The lock stays while its temporary directory does (or cannot be checked): the next clean retries both.
      if (there === 'failed') {
        report.kept.push({ path: file, reason: `its temporary directory ${temporary} cannot be checked` });
        continue;
      }
      if (there !== undefined && !(await remove(temporary))) {
        report.kept.push({ path: file, reason: `its temporary directory ${temporary} stays` });
        continue;
      }
    }
    await remove(file);
  }
  for (const name of names) {
    const entry = parseBackupSetEntry(name);
    const file = path.join(dir, name);
    if (entry.kind === 'partial' && !claimed.has(name)) {
      if ((await stat(file)) === undefined) continue;
      // A lock of another host for the same set means a remote run: its pid says nothing here.
      const lockName = path.join(dir, `.${entry.set}.lock`);
      const lock = locks.has(entry.set) ? locks.get(entry.set) : await readLock(lockName);
      if (lock && 'error' in lock) report.kept.push({ path: file, reason: `the set's lock ${lockName} cannot be read: ${lock.error}` });
      else if (lock && !lockOwnerGone(lock, hostname))
        report.kept.push({ path: file, reason: `the set is locked by pid ${lock.pid} on ${lock.hostname}` });
      else if (processAlive(entry.pid)) report.kept.push({ path: file, reason: `pid ${entry.pid} is alive` });
      else await remove(file);
    } else if (entry.kind === 'lockSide' && !processAlive(entry.pid)) {
      const there = await stat(file);
      if (there === 'failed') report.kept.push({ path: file, reason: 'its type cannot be checked' });
      else if (there !== undefined) await remove(file);
    } else if (entry.kind === 'restoring') {
      if (entry.host !== undefined && entry.host !== hostTag(hostname)) {
        report.kept.push({
          path: file,
          reason: `restore of another host (${entry.host}, pid ${entry.pid}): this host cannot tell whether it is alive; remove it from that host or once you know it is dead`,
        });
        continue;
      }
      await cleanDeadRestore(file, entry.pid, hostname, io, report, stat, fail, remove);
    }
  }
  return report;
}

/**
 * A restore's temporary directory is removed only when its restore is certainly gone: it is this
 * host's (checked by the caller), the pid in its name is not alive, the embedded instance lock file
 * inside names no other host and no live process, and the instance lock itself (flock, dropped by the
 * kernel when its holder dies) can be taken; it is held while the directory is removed. Anything else
 * keeps it, with the reason. What is not a real directory (a file, a symbolic link) is not a restore's
 * and is left alone.
 *
 * Partial, for the old form only (no host in the name): on a directory shared by two hosts, a live
 * restore of the other host whose engine has already shut down (between its fsyncs and its rename, when
 * no instance lock is held) can be taken for a dead one; that restore then fails at its rename and its
 * target stays as it was (absent or empty): nothing is lost, the restore has to be run again.
 */
async function cleanDeadRestore(
  file: string,
  pid: number,
  hostname: string,
  io: CleanFs,
  report: OrphanReport,
  stat: (file: string) => Promise<fs.Stats | undefined | 'failed'>,
  fail: (file: string, operation: OrphanCleanFailure['operation'], e: unknown) => void,
  remove: (file: string) => Promise<boolean>,
): Promise<void> {
  const st = await stat(file);
  if (st === undefined) return; // gone meanwhile
  if (st === 'failed') {
    report.kept.push({ path: file, reason: 'its type cannot be checked' });
    return;
  }
  if (!st.isDirectory()) {
    report.kept.push({
      path: file,
      reason: `named like a restore's temporary directory but ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`,
    });
    return;
  }
  if (processAlive(pid)) {
    report.kept.push({ path: file, reason: `restore in progress: pid ${pid} is alive` });
    return;
  }
  const lockFile = path.join(file, INSTANCE_LOCK_FILE);
  let text: string | undefined;
  try {
    text = await readSetTextFile(lockFile, 4096, io);
  } catch (e) {
    if (!(e instanceof SetFileError && e.code === 'ENOENT')) {
      // Who holds it cannot be read: an I/O error, or a file that is not a lock file at all.
      if (!(e instanceof SetFileError && e.code === undefined)) fail(lockFile, 'read', e);
      report.kept.push({ path: file, reason: `its instance lock file cannot be read: ${messageOf(e)}` });
      return;
    }
  }
  const holder = text === undefined ? undefined : parseInstanceLockHolder(text);
  if (holder && (holder.hostname !== hostname || processAlive(holder.pid))) {
    report.kept.push({ path: file, reason: `its instance lock names pid ${holder.pid} on ${holder.hostname} since ${holder.since}` });
    return;
  }
  let lock: InstanceLock;
  try {
    lock = await io.lockInstance(file);
  } catch (e) {
    // Held by a live process (-1032) is a decision; anything else is a failed call too.
    if (!isJetError(e, JET_err.FileAccessDenied)) fail(file, 'lock', e);
    report.kept.push({ path: file, reason: `its instance lock cannot be taken: ${messageOf(e)}` });
    return;
  }
  try {
    await remove(file);
  } finally {
    lock.release();
  }
}
