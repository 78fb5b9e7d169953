import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { MANIFEST_NAME, runBackup, serializeBackupManifest, type BackupManifest } from '../../src/backup/index.js';
import { engineFixture, putKeys, type EngineFixture } from './helpers.js';

/** A full set committed by `runBackup` from a real embedded instance, with the fixture that made it. */
export async function committedSet(
  options: { keys?: number; signKey?: Uint8Array; name?: string; truncateLogs?: boolean } = {},
): Promise<EngineFixture & { set: string }> {
  const fixture = await engineFixture({ keys: options.keys ?? 40 });
  const coordinator = createCoordinator({ api: fixture.engine });
  onTestFinished(() => coordinator.dispose());
  // Writes after the first roll, so the set holds several logs.
  await putKeys(fixture.db, options.keys ?? 40, (options.keys ?? 40) + 60, 1500, 'x-');
  const result = await runBackup({
    coordinator,
    instance: fixture.inst,
    to: path.join(fixture.work, options.name ?? 'full'),
    mode: 'full',
    truncateLogs: options.truncateLogs === true,
    ...(options.signKey ? { signKey: options.signKey } : {}),
  });
  if (result.outcome !== 'completed') throw new Error(`backup ${result.outcome}: ${result.error?.message}`);
  return { ...fixture, set: result.set!.path };
}

/** A full set, then an incremental set holding every log since the instance started (several generations). */
export async function incrementalSet(): Promise<EngineFixture & { set: string; full: string }> {
  const fixture = await committedSet({ truncateLogs: true });
  const coordinator = createCoordinator({ api: fixture.engine });
  onTestFinished(() => coordinator.dispose());
  await putKeys(fixture.db, 200, 400, 1500, 'y-');
  const result = await runBackup({ coordinator, instance: fixture.inst, to: path.join(fixture.work, 'incr'), mode: 'incremental' });
  if (result.outcome !== 'completed') throw new Error(`incremental backup ${result.outcome}: ${result.error?.message}`);
  return { ...fixture, full: fixture.set, set: result.set!.path };
}

/** The manifest of a set as JSON. */
export const readManifest = (set: string): BackupManifest =>
  JSON.parse(fs.readFileSync(path.join(set, MANIFEST_NAME), 'utf8')) as BackupManifest;

/** Rewrites the manifest through `edit` and re-hashes it, as someone editing the set on purpose would. */
export function rehashManifest(set: string, edit: (m: BackupManifest) => void): BackupManifest {
  const m = readManifest(set);
  edit(m);
  fs.writeFileSync(path.join(set, MANIFEST_NAME), serializeBackupManifest(m));
  return m;
}

/** Whether `mkfifo` is available (coreutils). */
export function canMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Makes a FIFO at `file` (replacing what is there). */
export function mkfifo(file: string): void {
  fs.rmSync(file, { force: true, recursive: true });
  execFileSync('mkfifo', [file]);
}

/** Resolves with `promise`, or rejects after `ms` (a hang is a failure, not a stuck test run). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
