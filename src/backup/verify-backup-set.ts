import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_NAME, parseBackupManifest, type BackupManifest, type BackupManifestFile } from './backup-manifest.js';
import type { EseFileReport } from './ese-file-report.js';
import { EseFileVerifier } from './ese-file-verifier.js';
import { createChunkHasher, hashableBuffer, warmChunkHasher } from './chunk-hasher.js';
import { forEachFileChunk } from './read-file-chunks.js';

/** Read buffers of the verification: one is read into while the others' chunks are hashed and checked. */
const VERIFY_BUFFERS = 4;
const VERIFY_CHUNK = 1024 * 1024;

/** What a problem is about. */
export type BackupSetProblemKind = 'manifest' | 'missing' | 'unlisted' | 'size' | 'sha256' | 'page' | 'log' | 'generations' | 'io';

/** One problem in a set: which file, and for page problems the file page index and database pgno. */
export interface BackupSetProblem {
  kind: BackupSetProblemKind;
  file?: string;
  index?: number;
  pgno?: number | null;
  message: string;
}

/** What was found in one file of the set. */
export interface BackupSetFileCheck {
  name: string;
  role: BackupManifestFile['role'] | 'unknown';
  bytes: number;
  sha256: string;
  /** The ESE checks of the file (database pages as streamed, log header and records). */
  ese: EseFileReport;
}

/** What {@link verifyBackupSet} reports. */
export interface BackupSetReport {
  dir: string;
  ok: boolean;
  /** The manifest when its fields can be used (even if its checksum failed: see `problems`). */
  manifest: BackupManifest | undefined;
  files: BackupSetFileCheck[];
  /** Every problem found, not only the first. */
  problems: BackupSetProblem[];
}

/**
 * Verifies a backup set from disk and lists every problem: `manifest.json` present, well formed and
 * intact; every listed file present with its size and SHA-256, and no file unlisted; every database
 * page's ESE checksum in the streamed form (header, shadow, pages, trailer); every log's header
 * (checksum, type, generation, page size) and, for the embedded engine's logs, its records; log
 * generations contiguous and matching the manifest's range. Each file is read once (hash and page
 * checks on the same chunks, the next read running meanwhile).
 *
 * ESE rule (reference §6): page checksums as `JetReadFileInstance` verifies them; a restore needs
 * every generation from the lowest to the highest (`JET_errMissingLogFile`, -528, otherwise).
 *
 * @example
 * const report = await verifyBackupSet('/backups/monday');
 * if (!report.ok) for (const p of report.problems) console.log(p.kind, p.file, p.pgno, p.message);
 */
export async function verifyBackupSet(dir: string): Promise<BackupSetReport> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('verifyBackupSet: dir must be a non-empty path');
  const root = path.resolve(dir);
  const problems: BackupSetProblem[] = [];
  const present = (await fsp.readdir(root, { withFileTypes: true })).filter((e) => e.name !== MANIFEST_NAME);
  let manifest: BackupManifest | undefined;
  if (!fs.existsSync(path.join(root, MANIFEST_NAME))) {
    problems.push({ kind: 'manifest', message: `${MANIFEST_NAME} is missing: the set was never committed` });
  } else {
    const parsed = parseBackupManifest(await fsp.readFile(path.join(root, MANIFEST_NAME), 'utf8'));
    manifest = parsed.manifest;
    for (const message of parsed.problems) problems.push({ kind: 'manifest', file: MANIFEST_NAME, message });
  }
  const listed = new Map((manifest?.files ?? []).map((f) => [f.name, f]));
  warmChunkHasher();
  const buffers = Array.from({ length: VERIFY_BUFFERS }, () => hashableBuffer(VERIFY_CHUNK));
  const files: BackupSetFileCheck[] = [];
  for (const entry of manifest?.files ?? []) {
    if (!present.some((e) => e.name === entry.name)) problems.push({ kind: 'missing', file: entry.name, message: `${entry.name} is listed but missing` });
  }
  for (const e of present) {
    const entry = listed.get(e.name);
    // With a manifest, an unlisted file is one problem, not also a bad ESE file; without one, every file is checked.
    if (!entry && manifest) {
      problems.push({ kind: 'unlisted', file: e.name, message: `${e.name} is not listed in the manifest` });
      continue;
    }
    if (!e.isFile()) {
      if (entry) problems.push({ kind: 'io', file: e.name, message: `${e.name} is not a regular file` });
      continue;
    }
    try {
      files.push(await checkFile(path.join(root, e.name), entry, manifest, problems, buffers));
    } catch (err) {
      problems.push({ kind: 'io', file: e.name, message: `${e.name}: ${(err as Error).message}` });
    }
  }
  checkGenerations(files, manifest, problems);
  return { dir: root, ok: problems.length === 0, manifest, files, problems };
}

async function checkFile(file: string, entry: BackupManifestFile | undefined, manifest: BackupManifest | undefined, problems: BackupSetProblem[], buffers: Uint8Array[]): Promise<BackupSetFileCheck> {
  const name = path.basename(file);
  const hasher = createChunkHasher();
  const verifier = new EseFileVerifier({ streamed: entry ? entry.role === 'db' : 'auto' });
  try {
    // One read of each chunk: SHA-256 on the hashing thread while the pages are checked here.
    await forEachFileChunk(
      file,
      (chunk) => {
        const hashed = hasher.update(chunk);
        verifier.push(chunk);
        return hashed;
      },
      { buffers },
    );
  } catch (e) {
    hasher.dispose();
    throw e;
  }
  const ese = verifier.finish();
  const sha256 = await hasher.digest();
  const role = entry?.role ?? (ese.fileType === 'database' ? 'db' : ese.fileType === 'log' ? 'log' : 'unknown');
  if (entry && entry.size !== ese.bytes) problems.push({ kind: 'size', file: name, message: `${name} is ${ese.bytes} bytes; the manifest says ${entry.size}` });
  if (entry && entry.sha256 !== sha256) problems.push({ kind: 'sha256', file: name, message: `${name}: SHA-256 ${sha256} differs from the manifest's ${entry.sha256}` });
  const kind = role === 'log' ? 'log' : 'page';
  for (const bad of ese.badPages) problems.push({ kind, file: name, index: bad.index, pgno: bad.pgno, message: `${name}: page ${bad.index}${bad.pgno === null ? '' : ` (pgno ${bad.pgno})`}: ${bad.reason}` });
  const expected = role === 'db' ? 'database' : role === 'log' ? 'log' : undefined;
  if (expected && ese.header && ese.fileType !== expected) problems.push({ kind, file: name, index: 0, pgno: null, message: `${name}: the header says ${ese.fileType}, the manifest ${expected}` });
  const h = ese.header;
  if (manifest && h && (h.fileType === 'database' || h.fileType === 'log') && h.checksumOk && h.pageSize !== manifest.pageSize) {
    problems.push({ kind, file: name, index: 0, pgno: null, message: `${name}: page size ${h.pageSize}, the manifest says ${manifest.pageSize}` });
  }
  if (entry?.role === 'log' && h?.fileType === 'log' && h.checksumOk && h.generation !== entry.generation) {
    problems.push({ kind: 'log', file: name, index: 0, pgno: null, message: `${name}: the header says generation ${h.generation}, the manifest ${entry.generation}` });
  }
  return { name, role, bytes: ese.bytes, sha256, ese };
}

/** Logs whose headers verify must cover every generation of the manifest's range exactly once. */
function checkGenerations(files: BackupSetFileCheck[], manifest: BackupManifest | undefined, problems: BackupSetProblem[]): void {
  const byGeneration = new Map<number, string[]>();
  for (const f of files) {
    const h = f.ese.header;
    if (f.role === 'log' && h?.fileType === 'log' && h.checksumOk) byGeneration.set(h.generation, [...(byGeneration.get(h.generation) ?? []), f.name]);
  }
  for (const [generation, names] of byGeneration) {
    if (names.length > 1) problems.push({ kind: 'generations', message: `generation ${generation} appears in ${names.join(', ')}` });
  }
  const range = manifest?.logGenerations;
  const gens = [...byGeneration.keys()].sort((a, b) => a - b);
  const low = range?.low ?? gens[0];
  const high = range?.high ?? gens.at(-1);
  if (low === undefined || high === undefined) return;
  const missing: number[] = [];
  for (let g = low; g <= high; g++) if (!byGeneration.has(g)) missing.push(g);
  if (missing.length > 0) problems.push({ kind: 'generations', message: `log generations ${low}-${high} are not contiguous: missing ${missing.join(', ')}` });
  const outside = gens.filter((g) => g < low || g > high);
  if (outside.length > 0) problems.push({ kind: 'generations', message: `log generations ${outside.join(', ')} lie outside the manifest's range ${low}-${high}` });
}
