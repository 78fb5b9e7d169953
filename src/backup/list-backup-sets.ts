import path from 'node:path';
import { MANIFEST_NAME, parseBackupManifest, type BackupManifest } from './backup-manifest.js';
import { nodeCleanFs, type CleanFs } from './clean-fs.js';
import { readSetTextFile } from './open-set-file.js';
import { capMessage, printableName } from './problem-cap.js';
import { verifyBackupSet, type BackupSetReport } from './verify-backup-set.js';

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
  /** How many problems verification found (0 when not verified; 1 when the manifest cannot be read). */
  problems: number;
  /** Why the manifest could not be used (read or parse error), when it could not. */
  error?: string;
  /** The keyed signature, as verification found it (see `BackupSetReport.signature`). */
  signature?: BackupSetReport['signature'];
}

/** Options of {@link listBackupSets}. */
export interface ListBackupSetsOptions {
  /** Verify each set from disk (default true). */
  verify?: boolean;
  /** The HMAC key sets were signed with: each set's `manifest.sig` must match it. */
  signKey?: Uint8Array;
  /**
   * Every file-system call of the listing (the directory's listing, each set's `lstat` of its manifest,
   * the manifest's read) and of each set's verification (default node:fs); the list fault campaign
   * fails each in turn through it.
   */
  fs?: Pick<CleanFs, 'readdir' | 'open' | 'lstat'>;
}

/**
 * Lists the backup sets in a directory: every directory (not a symlink) holding a `manifest.json`
 * entry (temporary directories of runs, starting with a dot, are not sets), oldest first, with mode,
 * size, log generations and whether it verifies (`verifyBackupSet`; pass `{ verify: false }` to skip
 * reading the files). A manifest is read like `verifyBackupSet` reads it (a regular file of at most
 * 16 MiB, no symlink, FIFO or device): one that cannot be read lists the set with `error` and
 * `verified: false` (or `undefined` without verification). A directory whose name is not UTF-8 is
 * listed under a printable form of its name, with `error`. A set whose manifest cannot be `lstat`ed
 * (an I/O error, not its absence) is listed with `error` too: a failed read never drops a set silently.
 *
 * @throws TypeError for a bad argument; Error naming `dir` (with the errno `code`) when it cannot be listed.
 *
 * @example
 * for (const s of await listBackupSets('/backups')) console.log(s.name, s.mode, s.logGenerations, s.verified);
 */
export async function listBackupSets(dir: string, options: ListBackupSetsOptions = {}): Promise<BackupSetListing[]> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('listBackupSets: dir must be a non-empty path');
  const verify = options.verify ?? true;
  if (options.fs !== undefined && (typeof options.fs?.readdir !== 'function' || typeof options.fs.lstat !== 'function'))
    throw new TypeError('listBackupSets: options.fs must have readdir, open and lstat');
  const io = options.fs ?? nodeCleanFs;
  const root = path.resolve(dir);
  let entries;
  try {
    entries = await io.readdir(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(`listBackupSets: cannot list ${root} (readdir): ${(e as Error).message}`, { cause: e }), { code });
  }
  const sets: BackupSetListing[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || e.name[0] === 0x2e) continue;
    const name = e.name.toString('utf8');
    const empty = { mode: undefined, size: 0, logGenerations: null, startTime: undefined, endTime: undefined };
    if (!Buffer.from(name, 'utf8').equals(e.name)) {
      // Its path cannot be named as a string: say so instead of skipping it silently.
      sets.push({
        name: printableName(name),
        path: path.join(root, name),
        ...empty,
        verified: verify ? false : undefined,
        problems: 1,
        error: `the directory name is not UTF-8 (bytes ${e.name.subarray(0, 64).toString('hex')}): not read`,
      });
      continue;
    }
    const setPath = path.join(root, name);
    let manifest: BackupManifest | undefined;
    let error: string | undefined;
    try {
      // lstat: a manifest entry of any type marks a committed set; reading it decides whether it can be used.
      await io.lstat(path.join(setPath, MANIFEST_NAME));
    } catch (err) {
      // No manifest: not a set. Any other failure: listed with the error, never left out silently.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      error = capMessage(`cannot lstat ${path.join(setPath, MANIFEST_NAME)}: ${(err as Error).message}`);
    }
    if (error === undefined) {
      const file = path.join(setPath, MANIFEST_NAME);
      try {
        const parsed = parseBackupManifest(await readSetTextFile(file, undefined, io));
        manifest = parsed.manifest;
        if (!manifest) error = capMessage(parsed.problems.slice(0, 3).join('; '));
      } catch (err) {
        // An fstat, read or close that failed says its syscall but not always the file: name it.
        const message = (err as Error).message;
        error = capMessage(message.includes(file) ? message : `${file}: ${message}`);
      }
    }
    let report: BackupSetReport | undefined;
    if (verify) {
      try {
        report = await verifyBackupSet(setPath, { fs: io, ...(options.signKey ? { signKey: options.signKey } : {}) });
      } catch (err) {
        error ??= capMessage((err as Error).message);
      }
    }
    sets.push({
      name,
      path: setPath,
      mode: manifest?.mode,
      size: manifest?.files.reduce((n, f) => n + f.size, 0) ?? 0,
      logGenerations: manifest?.logGenerations ?? null,
      startTime: manifest?.startTime,
      endTime: manifest?.endTime,
      // A manifest read that failed here is not undone by the verify's own read succeeding after it.
      verified: verify ? report?.ok === true && error === undefined : undefined,
      problems: Math.max(report?.problems.length ?? 0, error ? 1 : 0),
      ...(error ? { error } : {}),
      ...(report ? { signature: report.signature } : {}),
    });
  }
  return sets.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.name.localeCompare(b.name));
}
