import path from 'node:path';
import type { EmbeddedDatabase, EmbeddedEngine, PageSize, RestoredInstance } from '../engine/embedded-engine-api.js';
import { JET_bit, type JetInstance } from '../jet/index.js';
import { manifestDigestAlgorithm, manifestFileDigest } from './backup-manifest.js';
import { parseBackupSetEntry } from './backup-set-names.js';
import { printableName } from './problem-cap.js';
import { mkdirDurable, realRestoreFs, restoreTemporaryPath, syncTree, verifyFsOfRestore, type RestoreFs } from './restore-fs.js';
import { sameFileBytes } from './same-file-bytes.js';
import { verifyBackupSet, type BackupSetReport } from './verify-backup-set.js';

/** Options of {@link restoreBackupSet}. */
export interface RestoreBackupSetOptions {
  /** The embedded engine that builds the restored instance. */
  engine: EmbeddedEngine;
  /** An empty or absent directory for the restored instance (not a symlink). */
  to: string;
  /** The restored instance's name (default: `restored-N-<basename of to>`). */
  name?: string;
  /** The HMAC key the sets were signed with: each set's `manifest.sig` must match it. */
  signKey?: Uint8Array;
  /** The file-system calls the restore makes itself (default the real ones); a test injects faults here. */
  fs?: RestoreFs;
  /**
   * The host name the temporary directory's name records (default `os.hostname()`): `cleanOrphans`
   * judges only its own host's restores. A test names another host here.
   */
  hostname?: string;
}

/** What {@link restoreBackupSet} restored. */
export interface RestoreReport {
  /** The instance, open at `to`, its databases attached. */
  restored: RestoredInstance;
  /** Each set's verification, in the order given (full first). */
  sets: BackupSetReport[];
  /** The files handed to the engine: the full set's databases, then one log per generation. */
  files: string[];
  /** Per restored database: its path and how many keys it holds. */
  databases: Array<{ path: string; keys: number }>;
  /** Log generations replayed, inclusive. */
  genLow: number;
  genHigh: number;
}

/** A restore refused or undone: a set does not verify, the sets do not chain, the target is taken, or not every database came back. */
export class BackupSetRestoreError extends Error {
  constructor(
    message: string,
    readonly reports: BackupSetReport[],
  ) {
    super(message);
    this.name = 'BackupSetRestoreError';
  }
}

let restores = 0;

/** What the restored instance is opened with again at its final place. */
interface InstanceConfig {
  pageSize: PageSize;
  baseName: string;
  logFileSize: number;
}

/**
 * Restores a full backup set, optionally followed by incremental sets taken after it, with the
 * embedded engine, atomically: verifies every set first (`verifyBackupSet`, with `signKey` when
 * given), checks that the first is full, the rest incremental, and their logs chain without a gap (a
 * generation in two sets must be the same bytes); then the engine lays the copies out and replays the
 * logs in a temporary directory next to `to`; the restore goes on only if every database of the full
 * set was attached and replayed; the instance is shut down cleanly, its files and directory fsynced,
 * and one rename gives it the name `to` (the parent fsynced after). It is then opened again at `to`.
 *
 * A failure before the rename removes the temporary directory and leaves `to` as it was (absent or
 * empty), so a retry is not refused; after the rename, `to` holds a complete, cleanly shut-down
 * instance even if opening it again fails (that error is thrown). A temporary directory whose removal
 * failed stays behind under a hidden name (`.<name>.restoring-<host>-<pid>-<hex>`); it never blocks a retry.
 *
 * ESE rule: a restore needs the streamed databases and every log generation from the oldest the
 * databases need on (JET_errMissingLogFile, -528); logs of another instance do not replay (-530).
 *
 * @param sets one set directory, or a full set then incrementals in the order they were taken.
 * @throws BackupSetRestoreError when a set does not verify, the chain has a gap, `to` is taken or a
 *   symlink or named like a temporary directory `clean` would remove, or a database of the set did not come back; JetError from the engine; the file system's error.
 * @example
 * const { databases } = await restoreBackupSet(['/b/full', '/b/incr1'], { engine, to: '/restore' });
 */
export async function restoreBackupSet(sets: string | readonly string[], options: RestoreBackupSetOptions): Promise<RestoreReport> {
  const dirs = typeof sets === 'string' ? [sets] : [...sets];
  if (dirs.length === 0 || dirs.some((d) => typeof d !== 'string' || d === ''))
    throw new TypeError('restoreBackupSet: sets must be a path or a non-empty array of paths');
  if (typeof options?.engine?.restore !== 'function') throw new TypeError('restoreBackupSet: options.engine must be an embedded engine');
  if (typeof options.to !== 'string' || options.to === '') throw new TypeError('restoreBackupSet: options.to must be a non-empty path');
  if (options.hostname !== undefined && typeof options.hostname !== 'string')
    throw new TypeError('restoreBackupSet: options.hostname must be a string');
  const rfs = options.fs ?? realRestoreFs;
  const to = path.resolve(options.to);
  const reports: BackupSetReport[] = [];
  const refuse = (message: string): never => {
    throw new BackupSetRestoreError(message, reports);
  };
  // `cleanOrphans` removes what is named like a dead run's or restore's temporary file: a target must not be.
  if (parseBackupSetEntry(path.basename(to)).kind !== 'other')
    refuse(
      `the restore target name ${printableName(path.basename(to))} has the form of a backup's or restore's temporary name, which clean removes once its pid is gone: choose another name`,
    );
  await checkTarget(rfs, to, refuse);
  // The sets are read through the restore's own seam: a failed read is a fault of the restore (the set
  // then does not verify, and the restore is refused before anything is built).
  const io = verifyFsOfRestore(rfs);
  for (const dir of dirs) reports.push(await verifyBackupSet(dir, { fs: io, ...(options.signKey ? { signKey: options.signKey } : {}) }));
  const problems: string[] = [];
  reports.forEach((r, i) => {
    if (!r.ok)
      problems.push(
        `${r.dir} does not verify: ${r.problems
          .slice(0, 20)
          .map((p) => p.message)
          .join('; ')}${r.problems.length > 20 ? `; … ${r.problems.length - 20} more` : ''}`,
      );
    const expected = i === 0 ? 'full' : 'incremental';
    if (r.manifest && r.manifest.mode !== expected) problems.push(`${r.dir} is a ${r.manifest.mode} set; set ${i + 1} must be ${expected}`);
  });
  if (problems.length > 0) refuse(problems.join('\n'));

  // One log per generation; a generation in two sets (an incremental taken without truncation) must match.
  // Digests of one algorithm are compared; a SHA-256 set's log and a BLAKE3 set's are compared byte by byte.
  const logs = new Map<number, { file: string; algorithm: string; digest: string }>();
  for (const r of reports) {
    for (const f of r.manifest!.files) {
      if (f.role !== 'log') continue;
      const prior = logs.get(f.generation!);
      const mine = {
        file: path.join(r.dir, f.name),
        algorithm: manifestDigestAlgorithm(r.manifest!),
        digest: manifestFileDigest(r.manifest!, f),
      };
      const same =
        !prior || (prior.algorithm === mine.algorithm ? prior.digest === mine.digest : await sameFileBytes(prior.file, mine.file, io));
      if (!same) problems.push(`log generation ${f.generation} differs between ${prior!.file} and ${mine.file}`);
      logs.set(f.generation!, mine);
    }
  }
  const gens = [...logs.keys()].sort((a, b) => a - b);
  for (let i = 1; i < gens.length; i++) {
    if (gens[i]! !== gens[i - 1]! + 1)
      problems.push(`log generations ${gens[i - 1]! + 1}-${gens[i]! - 1} are in no set: the sets do not chain`);
  }
  if (problems.length > 0) refuse(problems.join('\n'));

  const full = reports[0]!;
  const dbNames = full.manifest!.files.filter((f) => f.role === 'db').map((f) => f.name);
  const files = [...dbNames.map((n) => path.join(full.dir, n)), ...gens.map((g) => logs.get(g)!.file)];
  const engine = options.engine;
  const name = options.name ?? `restored-${++restores}-${path.basename(to)}`;
  await mkdirDurable(rfs, path.dirname(to));
  const temporary = restoreTemporaryPath(to, options.hostname);
  let built: RestoredInstance | undefined;
  let live = false;
  let config: InstanceConfig;
  try {
    built = await engine.restore(files, { directory: temporary, name: `${name}.restoring-${path.basename(temporary).slice(-8)}` });
    live = true;
    const back = new Set(built.databases.map((d) => path.basename(d.path)));
    const lost = dbNames.filter((n) => !back.has(n));
    if (lost.length > 0 || built.databases.length !== dbNames.length) {
      refuse(
        `not every database of the full set was attached and replayed: ${lost.map(printableName).join(', ') || `${built.databases.length} of ${dbNames.length}`} did not come back (the logs do not name it: a database of another instance?)`,
      );
    }
    const info = engine.instanceInfo(built.instance);
    config = { pageSize: info.pageSize, baseName: info.baseName, logFileSize: info.logFileSize };
    await engine.term(built.instance);
    live = false;
    await syncTree(rfs, temporary);
    // rename(2) replaces an empty directory and fails on a non-empty one: `to` is taken only whole.
    await rfs.rename(temporary, to);
  } catch (e) {
    if (live && built) await engine.term(built.instance, JET_bit.TermAbrupt).catch(() => undefined);
    await rfs.rm(temporary).catch(() => undefined);
    throw e;
  }
  await rfs.fsync(path.dirname(to));
  return reopen(engine, to, name, config, dbNames, built, reports, files);
}

/** `to` must be absent, or an empty directory that is not a symlink. */
async function checkTarget(rfs: RestoreFs, to: string, refuse: (message: string) => never): Promise<void> {
  let stat;
  try {
    stat = await rfs.lstat(to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (stat.isSymbolicLink()) refuse(`the restore target ${to} is a symbolic link: refused (name the directory itself)`);
  if (!stat.isDirectory()) refuse(`the restore target ${to} exists and is not a directory`);
  if ((await rfs.readdir(to)).length > 0) refuse(`the restore target ${to} is not empty`);
}

/** Opens the instance moved into place at `to` and attaches its databases. */
async function reopen(
  engine: EmbeddedEngine,
  to: string,
  name: string,
  config: InstanceConfig,
  dbNames: string[],
  built: RestoredInstance,
  sets: BackupSetReport[],
  files: string[],
): Promise<RestoreReport> {
  const instance: JetInstance = await engine.createInstance(name, { ...config, directory: to });
  await engine.init(instance);
  const databases: EmbeddedDatabase[] = [];
  for (const n of dbNames) databases.push(await engine.attachDatabase(instance, path.join(to, n)));
  const restored: RestoredInstance = { instance, directory: to, databases, genLow: built.genLow, genHigh: built.genHigh };
  return {
    restored,
    sets,
    files,
    databases: databases.map((db) => ({ path: db.path, keys: db.size })),
    genLow: built.genLow,
    genHigh: built.genHigh,
  };
}
