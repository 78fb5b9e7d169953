import path from 'node:path';
import type { EmbeddedEngine, RestoredInstance } from '../engine/embedded-engine-api.js';
import { verifyBackupSet, type BackupSetReport } from './verify-backup-set.js';

/** Options of {@link restoreBackupSet}. */
export interface RestoreBackupSetOptions {
  /** The embedded engine that builds the restored instance. */
  engine: EmbeddedEngine;
  /** An empty or absent directory for the restored instance. */
  to: string;
  /** The restored instance's name (default: the engine picks one). */
  name?: string;
}

/** What {@link restoreBackupSet} restored. */
export interface RestoreReport {
  /** The instance the engine built, its databases open. */
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

/** A restore refused before touching the engine: a set does not verify, or the sets do not chain. */
export class BackupSetRestoreError extends Error {
  constructor(message: string, readonly reports: BackupSetReport[]) {
    super(message);
    this.name = 'BackupSetRestoreError';
  }
}

/**
 * Restores a full backup set, optionally followed by incremental sets taken after it, with the
 * embedded engine: verifies every set first (`verifyBackupSet`), checks that the first is full, the
 * rest incremental, and their logs chain without a gap (a generation in two sets must be the same
 * bytes), then calls `engine.restore(files, { directory: to })`, which lays the copies out and replays
 * the logs.
 *
 * ESE rule: a restore needs the streamed databases and every log generation from the oldest the
 * databases need on (JET_errMissingLogFile, -528); logs of another instance do not replay (-530).
 *
 * @param sets one set directory, or a full set then incrementals in the order they were taken.
 * @throws BackupSetRestoreError when a set does not verify or the chain has a gap; JetError from the engine.
 * @example
 * const { databases } = await restoreBackupSet(['/b/full', '/b/incr1'], { engine, to: '/restore' });
 */
export async function restoreBackupSet(sets: string | readonly string[], options: RestoreBackupSetOptions): Promise<RestoreReport> {
  const dirs = typeof sets === 'string' ? [sets] : [...sets];
  if (dirs.length === 0 || dirs.some((d) => typeof d !== 'string' || d === '')) throw new TypeError('restoreBackupSet: sets must be a path or a non-empty array of paths');
  if (typeof options?.engine?.restore !== 'function') throw new TypeError('restoreBackupSet: options.engine must be an embedded engine');
  if (typeof options.to !== 'string' || options.to === '') throw new TypeError('restoreBackupSet: options.to must be a non-empty path');
  const reports: BackupSetReport[] = [];
  for (const dir of dirs) reports.push(await verifyBackupSet(dir));
  const problems: string[] = [];
  reports.forEach((r, i) => {
    if (!r.ok) problems.push(`${r.dir} does not verify: ${r.problems.map((p) => p.message).join('; ')}`);
    const expected = i === 0 ? 'full' : 'incremental';
    if (r.manifest && r.manifest.mode !== expected) problems.push(`${r.dir} is a ${r.manifest.mode} set; set ${i + 1} must be ${expected}`);
  });
  if (problems.length > 0) throw new BackupSetRestoreError(problems.join('\n'), reports);

  // One log per generation; a generation in two sets (an incremental taken without truncation) must match.
  const logs = new Map<number, { file: string; sha256: string }>();
  for (const r of reports) {
    for (const f of r.manifest!.files) {
      if (f.role !== 'log') continue;
      const prior = logs.get(f.generation!);
      if (prior && prior.sha256 !== f.sha256) problems.push(`log generation ${f.generation} differs between ${prior.file} and ${path.join(r.dir, f.name)}`);
      logs.set(f.generation!, { file: path.join(r.dir, f.name), sha256: f.sha256 });
    }
  }
  const gens = [...logs.keys()].sort((a, b) => a - b);
  for (let i = 1; i < gens.length; i++) {
    if (gens[i]! !== gens[i - 1]! + 1) problems.push(`log generations ${gens[i - 1]! + 1}-${gens[i]! - 1} are in no set: the sets do not chain`);
  }
  if (problems.length > 0) throw new BackupSetRestoreError(problems.join('\n'), reports);

  const full = reports[0]!;
  const files = [...full.manifest!.files.filter((f) => f.role === 'db').map((f) => path.join(full.dir, f.name)), ...gens.map((g) => logs.get(g)!.file)];
  const restored = await options.engine.restore(files, { directory: options.to, ...(options.name ? { name: options.name } : {}) });
  return {
    restored,
    sets: reports,
    files,
    databases: restored.databases.map((db) => ({ path: db.path, keys: db.size })),
    genLow: restored.genLow,
    genHigh: restored.genHigh,
  };
}
