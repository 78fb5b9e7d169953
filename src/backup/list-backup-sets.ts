import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_NAME, parseBackupManifest, type BackupManifest } from './backup-manifest.js';
import { verifyBackupSet } from './verify-backup-set.js';

/** One set found by {@link listBackupSets}. */
export interface BackupSetListing {
  name: string;
  path: string;
  /** `undefined` when the manifest cannot be used. */
  mode: BackupManifest['mode'] | undefined;
  /** Bytes of the set's files, as the manifest lists them. */
  size: number;
  logGenerations: BackupManifest['logGenerations'];
  startTime: string | undefined;
  endTime: string | undefined;
  /** `true`/`false` after verifying from disk; `undefined` when asked not to verify. */
  verified: boolean | undefined;
  /** How many problems verification found (0 when not verified). */
  problems: number;
}

/**
 * Lists the backup sets in a directory: every directory holding a `manifest.json` (temporary
 * directories of runs, starting with a dot, are not sets), oldest first, with mode, size, log
 * generations and whether it verifies (`verifyBackupSet`; pass `{ verify: false }` to skip reading
 * the files).
 *
 * @example
 * for (const s of await listBackupSets('/backups')) console.log(s.name, s.mode, s.logGenerations, s.verified);
 */
export async function listBackupSets(dir: string, options: { verify?: boolean } = {}): Promise<BackupSetListing[]> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('listBackupSets: dir must be a non-empty path');
  const verify = options.verify ?? true;
  const root = path.resolve(dir);
  const entries = await fsp.readdir(root, { withFileTypes: true });
  const sets: BackupSetListing[] = [];
  for (const e of entries) {
    const setPath = path.join(root, e.name);
    if (!e.isDirectory() || e.name.startsWith('.') || !fs.existsSync(path.join(setPath, MANIFEST_NAME))) continue;
    const { manifest } = parseBackupManifest(await fsp.readFile(path.join(setPath, MANIFEST_NAME), 'utf8'));
    const report = verify ? await verifyBackupSet(setPath) : undefined;
    sets.push({
      name: e.name,
      path: setPath,
      mode: manifest?.mode,
      size: manifest?.files.reduce((n, f) => n + f.size, 0) ?? 0,
      logGenerations: manifest?.logGenerations ?? null,
      startTime: manifest?.startTime,
      endTime: manifest?.endTime,
      verified: report?.ok,
      problems: report?.problems.length ?? 0,
    });
  }
  return sets.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.name.localeCompare(b.name));
}
