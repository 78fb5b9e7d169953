import fs from 'node:fs';
import path from 'node:path';
import { verifyBackupSet, type BackupResult } from '../../../src/backup/index.js';
import { parseBackupSetEntry } from '../../../src/backup/backup-set-names.js';
import { backupExitCode } from '../../../src/cli/backup-command.js';
import type { EmbeddedEngine } from '../../../src/engine/index.js';
import type { JetInstance } from '../../../src/jet/index.js';

/** What a faulted run is checked against. */
export interface FaultedRun {
  engine: EmbeddedEngine;
  inst: JetInstance;
  /** The set's final name. */
  to: string;
  result: BackupResult;
  /** The instance's log files (full paths) just before the run. */
  logsBefore: string[];
  /**
   * A file system failing every call from some point on: the withdrawal itself may leave the temporary
   * directory, and the lock file or its side file may not be removable (they name this live process).
   */
  allowLeftovers?: boolean;
  /**
   * The run signed its set (`--sign-key`): whatever stands under the final name must carry a
   * `manifest.sig` that matches its manifest under this key (a set that looks complete but whose
   * signature is missing or wrong is a violation, as verify with the key refuses it).
   */
  signKey?: Uint8Array;
}

/** Whether anything (a file, a directory, a dangling link) has the name `file`. */
export const present = (file: string): boolean => {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
};

/** The log files of an embedded instance's directory, full paths, sorted. */
export function instanceLogs(engine: EmbeddedEngine, inst: JetInstance): string[] {
  const dir = engine.instanceInfo(inst).directory;
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .map((n) => path.join(dir, n))
    .sort();
}

/**
 * The invariants of issue 9 after one run, as a list of violations (empty: all hold):
 * under the final name nothing or a set that verifies; the result names a set exactly when one is
 * there; a completed run has a verified set and exit code 0, exit code 0 only for it; no log is gone
 * unless a committed, verified set is kept and the result names the logs gone; once TruncateLog was
 * called the set stays; no backup session is
 * left open; no temporary directory or lock is left next to the set; a signed run's set carries a
 * signature that matches under the key.
 */
export async function checkInvariants(run: FaultedRun): Promise<string[]> {
  const { engine, inst, to, result, logsBefore } = run;
  const v: string[] = [];
  const there = present(to);
  const report = there ? await verifyBackupSet(to, run.signKey ? { signKey: run.signKey } : {}) : undefined;
  if (report && !report.ok) v.push(`a set under the final name does not verify: ${report.problems.map((p) => p.message).join('; ')}`);
  if (Boolean(result.set) !== there)
    v.push(`result.set ${result.set ? 'names a set' : 'is absent'} but the final name ${there ? 'holds one' : 'is empty'}`);
  const code = backupExitCode(result);
  if (result.outcome === 'completed' && !(there && report?.ok)) v.push('completed without a verified set under the final name');
  if ((code === 0) !== (result.outcome === 'completed')) v.push(`exit code ${code} for outcome ${result.outcome}`);
  if (result.outcome !== 'completed' && !result.error && !result.stopReason) v.push(`outcome ${result.outcome} without an error`);

  // Logs that were there before and are gone, and the logs the result says are gone (which may include
  // one that the run's own log roll created and its truncation deleted).
  const gone = logsBefore.filter((f) => !present(f));
  const named = result.logsTruncated ?? [];
  if (gone.length > 0 || named.length > 0) {
    if (!(there && report?.ok))
      v.push(`logs gone (${[...new Set([...gone, ...named])].map((f) => path.basename(f)).join(', ')}) without a committed, verified set`);
    if (result.truncated === false && gone.length > 0) v.push(`logs gone but result.truncated is false`);
    const unnamed = gone.filter((f) => !named.includes(f));
    if (unnamed.length > 0) v.push(`logs gone that the result does not name: ${unnamed.join(', ')}`);
    const still = named.filter(present);
    if (still.length > 0) v.push(`logs the result names as gone are there: ${still.join(', ')}`);
    if (result.truncated === 'partial' && code !== 1) v.push(`a partial truncation exits ${code}`);
  } else if (result.truncated === 'partial') v.push(`truncated 'partial' but no log is gone`);
  // TruncateLog was called (the result then lists what it deleted, maybe nothing): the set stays.
  if (result.logsTruncated !== undefined && !(there && report?.ok))
    v.push('TruncateLog was called but no verified set stands under the final name');
  const record = engine.lastBackup(inst);
  if (record && record.end === undefined) v.push('a backup session is left open');
  const leftovers = fs.readdirSync(path.dirname(to)).filter((n) => n.startsWith('.'));
  const runFile = (n: string) => ['partial', 'lock', 'lockSide'].includes(parseBackupSetEntry(n).kind);
  if (leftovers.length > 0 && !(run.allowLeftovers && leftovers.every(runFile))) v.push(`left next to the set: ${leftovers.join(', ')}`);
  return v;
}
