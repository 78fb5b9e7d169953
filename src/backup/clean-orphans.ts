import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { INSTANCE_LOCK_FILE, lockInstanceDirectory, readInstanceLockHolder, type InstanceLock } from '../engine/instance-lock.js';
import { lockOwnerGone, processAlive, readBackupLock, type BackupLock } from './backup-lock.js';
import { parseBackupSetEntry } from './backup-set-names.js';

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

/** What {@link cleanOrphans} did. */
export interface OrphanReport {
  /** Paths removed: temporary directories (of backups and of restores), lock files and their side files. */
  removed: string[];
  /** Run files left alone, and why (a live run or restore, another host, an unreadable lock). */
  kept: Array<{ path: string; reason: string }>;
  /** Sessions of the dead runs: they died with their processes (nothing to end). */
  sessions: OrphanSession[];
}

/**
 * Finds what killed runs left in a backup directory and removes it: each lock whose process is gone
 * (same host, no such pid, or a pid reused by a younger process) with the temporary directory it
 * names, temporary directories of gone processes that no live lock claims, and lock side files.
 * Also the temporary directories of restores that died (`.<target>.restoring-<pid>-<hex>`, which
 * `restoreBackupSet` builds in before one rename gives it the target's name): removed when that pid is
 * gone and no process holds the embedded instance lock inside (see `cleanDeadRestore`).
 * Only names of the form `.<set>.partial-<pid>-<hex>`, `.<set>.lock`, `.<set>.lock.<pid>-<n>` and
 * `.<target>.restoring-<pid>-<hex>` (a real directory) are ever touched: a committed set or a restore
 * target is never read, moved or removed.
 *
 * ESE rule: a backup session belongs to the instance of the process that began it; when the process
 * dies, its instance, session and (embedded engine) instance lock die with it. So a dead run's session
 * needs no End2(Abort), and none is called: a handle is only a number of one process, and ending "the
 * same handle" here would end a live session of this process (JET_errNoBackup -520 for its run). The
 * report still names the dead runs' sessions.
 *
 * @param dir the directory holding backup sets (absent: nothing to do).
 * @example
 * const { removed, sessions } = await cleanOrphans('/backups');
 */
export async function cleanOrphans(dir: string): Promise<OrphanReport> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('cleanOrphans: dir must be a non-empty path');
  const report: OrphanReport = { removed: [], kept: [], sessions: [] };
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return report;
    throw e;
  }
  const remove = async (file: string) => {
    await fsp.rm(file, { recursive: true, force: true });
    report.removed.push(file);
  };
  // Temporary directories a lock speaks for: kept with a live lock, removed with a dead one.
  const claimed = new Set<string>();
  for (const name of names) {
    const entry = parseBackupSetEntry(name);
    if (entry.kind !== 'lock') continue;
    const file = path.join(dir, name);
    const lock = readBackupLock(file);
    if (!lock) {
      report.kept.push({ path: file, reason: 'not a lock this tool can read' });
      continue;
    }
    const temporary = path.join(dir, path.basename(lock.temporary));
    claimed.add(path.basename(temporary));
    if (!lockOwnerGone(lock)) {
      const reason = `run in progress: pid ${lock.pid} on ${lock.hostname} since ${lock.startTime}`;
      report.kept.push({ path: file, reason });
      if (fs.existsSync(temporary)) report.kept.push({ path: temporary, reason });
      continue;
    }
    if (parseBackupSetEntry(path.basename(temporary)).kind === 'partial' && fs.existsSync(temporary)) await remove(temporary);
    await remove(file);
    report.sessions.push({ instance: lock.instance, pid: lock.pid, startTime: lock.startTime, set: path.join(dir, entry.set) });
  }
  for (const name of names) {
    const entry = parseBackupSetEntry(name);
    const file = path.join(dir, name);
    if (entry.kind === 'partial' && !claimed.has(name) && fs.existsSync(file)) {
      // A lock of another host for the same set means a remote run: its pid says nothing here.
      const lock = readBackupLock(path.join(dir, `.${entry.set}.lock`));
      if (lock && !lockOwnerGone(lock))
        report.kept.push({ path: file, reason: `the set is locked by pid ${lock.pid} on ${lock.hostname}` });
      else if (processAlive(entry.pid)) report.kept.push({ path: file, reason: `pid ${entry.pid} is alive` });
      else await remove(file);
    } else if (entry.kind === 'lockSide' && !processAlive(entry.pid) && fs.existsSync(file)) {
      await remove(file);
    } else if (entry.kind === 'restoring') {
      await cleanDeadRestore(file, entry.pid, report, remove);
    }
  }
  return report;
}

/**
 * A restore's temporary directory is removed only when its restore is certainly gone: the pid in its
 * name is not alive on this host, the embedded instance lock file inside names no other host and no
 * live process, and the instance lock itself (flock, dropped by the kernel when its holder dies) can be
 * taken; it is held while the directory is removed. Anything else keeps it, with the reason. What is
 * not a real directory (a file, a symbolic link) is not a restore's and is left alone.
 *
 * Partial: the name records a pid but no host. On a directory shared by two hosts, a live restore of the
 * other host whose engine has already shut down (between its fsyncs and its rename, when no instance
 * lock is held) can be taken for a dead one; that restore then fails at its rename and its target
 * stays as it was (absent or empty): nothing is lost, the restore has to be run again.
 */
async function cleanDeadRestore(file: string, pid: number, report: OrphanReport, remove: (file: string) => Promise<void>): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return; // gone meanwhile
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
  const holder = readInstanceLockHolder(path.join(file, INSTANCE_LOCK_FILE));
  if (holder && (holder.hostname !== os.hostname() || processAlive(holder.pid))) {
    report.kept.push({ path: file, reason: `its instance lock names pid ${holder.pid} on ${holder.hostname} since ${holder.since}` });
    return;
  }
  let lock: InstanceLock;
  try {
    lock = lockInstanceDirectory(file, 'JetRestoreInstance');
  } catch (e) {
    report.kept.push({ path: file, reason: `its instance lock cannot be taken: ${(e as Error).message}` });
    return;
  }
  try {
    await remove(file);
  } finally {
    lock.release();
  }
}
