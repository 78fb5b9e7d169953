import os from 'node:os';
import path from 'node:path';
import {
  MANIFEST_NAME,
  MANIFEST_SIGNATURE_FILE,
  parseBackupManifest,
  type BackupManifest,
  type BackupManifestFile,
} from './backup-manifest.js';
import type { EseFileReport } from './ese-file-report.js';
import { ChunkBufferPool } from './chunk-buffer-pool.js';
import { hashableBuffer, warmChunkHasher } from './chunk-hasher.js';
import type { FileDigestAlgorithm } from './file-digest.js';
import { checkManifestSignature, type ManifestSignatureCheck } from './manifest-signature.js';
import { readSetTextFile } from './open-set-file.js';
import { CappedProblems, formatRanges, printableName } from './problem-cap.js';
import { checkSetIdentity } from './check-set-identity.js';
import { checkSetFile } from './check-set-file.js';
import type { RecheckedFile } from './written-file-recheck.js';
import { nodeVerifyFs, type VerifyFs } from './verify-fs.js';

/** Read buffers of each file being verified: one is read into while the others' chunks are hashed and checked. */
const VERIFY_BUFFERS = 4;
const VERIFY_CHUNK = 1024 * 1024;
/** Files verified at once: one per CPU (each file's digest is one stream, on a hashing thread of its own). */
const VERIFY_LANES = Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length));

/** What a problem is about. */
export type BackupSetProblemKind =
  'manifest' | 'signature' | 'missing' | 'unlisted' | 'size' | 'digest' | 'page' | 'log' | 'generations' | 'identity' | 'io' | 'truncated';

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
  /** The algorithm of `digest`: the manifest's (SHA-256 without a usable manifest). */
  algorithm: FileDigestAlgorithm;
  /** The file's digest as read, lower-case hex. */
  digest: string;
  /** The ESE checks of the file (database pages as streamed, log header and records). */
  ese: EseFileReport;
}

/** Options of {@link verifyBackupSet}. */
export interface VerifyBackupSetOptions {
  /** The HMAC key the set was signed with (`--sign-key`): `manifest.sig` must then be present and match. */
  signKey?: Uint8Array;
  /**
   * Every file-system call the verify makes (listing, opens, reads, `fstat`, closes); node:fs by
   * default. The verify fault campaign fails each call in turn through it.
   */
  fs?: VerifyFs;
}

/** What {@link verifyBackupSet} reports. */
export interface BackupSetReport {
  dir: string;
  ok: boolean;
  /** The manifest when its fields can be used (even if its checksum failed: see `problems`). */
  manifest: BackupManifest | undefined;
  files: BackupSetFileCheck[];
  /**
   * The keyed signature: `valid` (a key was given and it matches), `invalid` (also a problem),
   * `not-checked` (the set is signed but no key was given: nothing about tampering was checked),
   * `unsigned`. `ok` never depends on a signature that was not checked.
   */
  signature: ManifestSignatureCheck['state'];
  /** Every problem found, not only the first (at most 500, then one entry counting the rest). */
  problems: BackupSetProblem[];
}

/**
 * Verifies a backup set from disk and lists every problem: `manifest.json` present, a regular file
 * of at most 16 MiB, well formed and matching its checksum (`manifestSha256` catches accidental
 * change only; with `signKey`, `manifest.sig` is checked too, which shows deliberate change); every
 * listed file present, a regular file (symlinks, FIFOs and devices are never opened or followed)
 * with its size and digest (the algorithm the manifest names: BLAKE3, or SHA-256 for older sets), and no file unlisted; every database page's ESE checksum in the
 * streamed form (header, shadow, pages, trailer); every log's header (checksum, type, generation,
 * page size) and, for the embedded engine's logs, its records; log generations contiguous and
 * exactly the manifest's range; every log of the same log stream (`signLog`), and each database of
 * a full set tied to it: the same `signLog`, and the generations its replay needs
 * (`lGenMinRequired`-`lGenMaxRequired`) inside the set's logs. Each file is read once.
 *
 * Bounded work on any input: the manifest's numbers never bound a loop, a file whose size differs
 * from the manifest's is not read, problems are capped in number and length.
 *
 * ESE rule (reference §6): page checksums as `JetReadFileInstance` verifies them; a restore needs
 * every generation from the lowest to the highest (`JET_errMissingLogFile`, -528) of the database's
 * log stream (`JET_errBadLogSignature`, -530, otherwise).
 *
 * @throws TypeError for a bad argument; the file system's error when `dir` cannot be listed.
 * @example
 * const report = await verifyBackupSet('/backups/monday');
 * if (!report.ok) for (const p of report.problems) console.log(p.kind, p.file, p.pgno, p.message);
 */
export function verifyBackupSet(dir: string, options: VerifyBackupSetOptions = {}): Promise<BackupSetReport> {
  return verifyBackupSetWith(dir, options, {});
}

/**
 * {@link verifyBackupSet}, taking for each file of `prechecked` the re-read a `WrittenFileRecheck`
 * made while the set was written, instead of reading the file again, when the file in the set is
 * that very file, unchanged (same device, inode, size, mtime and ctime). Every other check runs on
 * the set as it is now: the manifest and its checksum, the listing, each file's presence, type and
 * size, its digest against the manifest, the ESE problems, generations and log stream.
 * @internal the backup runner's: not exported from the package.
 */
export async function verifyBackupSetWith(
  dir: string,
  options: VerifyBackupSetOptions,
  internal: { prechecked?: ReadonlyMap<string, RecheckedFile> },
): Promise<BackupSetReport> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('verifyBackupSet: dir must be a non-empty path');
  if (options.signKey !== undefined && !(options.signKey instanceof Uint8Array))
    throw new TypeError('verifyBackupSet: options.signKey must be a Uint8Array');
  if (options.fs !== undefined && (typeof options.fs?.readdir !== 'function' || typeof options.fs.open !== 'function'))
    throw new TypeError('verifyBackupSet: options.fs must be a VerifyFs (readdir and open)');
  const io = options.fs ?? nodeVerifyFs;
  const root = path.resolve(dir);
  const problems = new CappedProblems<BackupSetProblem>((n) => ({ kind: 'truncated', message: `… and ${n} more problems not listed` }));
  // Names as bytes: a name that is not UTF-8 would not survive a round trip through a string.
  const entries = await io.readdir(root);
  const present = new Map<string, { regular: boolean; type: string }>();
  for (const e of entries) {
    const name = e.name.toString('utf8');
    if (!Buffer.from(name, 'utf8').equals(e.name)) {
      problems.push({
        kind: 'unlisted',
        message: `a file whose name is not UTF-8 (bytes ${e.name.subarray(0, 64).toString('hex')}) is not part of any set`,
      });
      continue;
    }
    present.set(name, { regular: e.isFile(), type: direntType(e) });
  }
  let manifest: BackupManifest | undefined;
  let manifestText: string | undefined;
  if (!present.has(MANIFEST_NAME)) {
    problems.push({ kind: 'manifest', message: `${MANIFEST_NAME} is missing: the set was never committed` });
  } else {
    try {
      manifestText = await readSetTextFile(path.join(root, MANIFEST_NAME), undefined, io);
      const parsed = parseBackupManifest(manifestText);
      manifest = parsed.manifest;
      for (const message of parsed.problems) problems.push({ kind: 'manifest', file: MANIFEST_NAME, message });
    } catch (e) {
      problems.push({ kind: 'manifest', file: MANIFEST_NAME, message: `${MANIFEST_NAME} cannot be used: ${(e as Error).message}` });
    }
  }
  const signature = await checkManifestSignature(root, manifestText, options.signKey, io);
  if (signature.state === 'invalid') problems.push({ kind: 'signature', file: MANIFEST_SIGNATURE_FILE, message: signature.message });
  // Without a key a signature is not checked, but one that could not be read is still a set not read whole.
  if (signature.state === 'not-checked' && signature.readError !== undefined)
    problems.push({ kind: 'io', file: MANIFEST_SIGNATURE_FILE, message: `${MANIFEST_SIGNATURE_FILE}: ${signature.readError}` });
  present.delete(MANIFEST_NAME);
  if (signature.state !== 'unsigned') present.delete(MANIFEST_SIGNATURE_FILE);

  const listed = new Map((manifest?.files ?? []).map((f) => [f.name, f]));
  for (const entry of manifest?.files ?? []) {
    if (!present.has(entry.name))
      problems.push({ kind: 'missing', file: entry.name, message: `${printableName(entry.name)} is listed but missing` });
  }
  warmChunkHasher();
  // Files are checked side by side, one per CPU (each hashes on its own thread); their problems are
  // listed in directory order whatever order they finish in.
  const todo: { name: string; entry: BackupManifestFile | undefined }[] = [];
  const found: ({ check: BackupSetFileCheck | undefined; problems: BackupSetProblem[] } | undefined)[] = [];
  for (const [name, e] of present) {
    const entry = listed.get(name);
    const shown = printableName(name);
    // With a manifest, an unlisted file is one problem, not also a bad ESE file; without one, every file is checked.
    if (!entry && manifest) {
      found.push({
        check: undefined,
        problems: [{ kind: 'unlisted', file: name, message: `${shown} (${e.type}) is not listed in the manifest` }],
      });
      continue;
    }
    if (!e.regular) {
      found.push({
        check: undefined,
        problems: [{ kind: 'io', file: name, message: `${shown} is ${e.type}, not a regular file: not opened` }],
      });
      continue;
    }
    found.push(undefined);
    todo.push({ name, entry });
  }
  const slots = found.flatMap((f, i) => (f ? [] : [i]));
  let next = 0;
  const lane = async () => {
    // The process's verify buffers (first-touched memory is costly; see ChunkBufferPool), given back at the end:
    // checkSetFile settles every read and hash of its chunks before it returns or throws.
    const pool = ChunkBufferPool.take(VERIFY_BUFFERS, VERIFY_CHUNK, hashableBuffer);
    const buffers: Uint8Array[] = [];
    try {
      for (let b = 0; b < VERIFY_BUFFERS; b++) buffers.push(await pool.acquire());
      for (let i; (i = next++) < todo.length;) {
        const { name, entry } = todo[i]!;
        const fileProblems: BackupSetProblem[] = [];
        let check: BackupSetFileCheck | undefined;
        try {
          check = await checkSetFile(path.join(root, name), entry, manifest, fileProblems, buffers, internal.prechecked?.get(name), io);
        } catch (err) {
          fileProblems.push({ kind: 'io', file: name, message: `${printableName(name)}: ${(err as Error).message}` });
        }
        found[slots[i]!] = { check, problems: fileProblems };
      }
    } finally {
      for (const b of buffers) pool.release(b);
      pool.giveBack();
    }
  };
  await Promise.all(Array.from({ length: Math.min(VERIFY_LANES, todo.length) }, lane));
  const files: BackupSetFileCheck[] = [];
  for (const f of found) {
    for (const p of f!.problems) problems.push(p);
    if (f!.check) files.push(f!.check);
  }
  checkGenerations(files, manifest, problems);
  checkSetIdentity(files, manifest, problems);
  const list = problems.finish();
  return { dir: root, ok: list.length === 0, manifest, files, signature: signature.state, problems: list };
}

function direntType(e: {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (e.isFile()) return 'a regular file';
  if (e.isDirectory()) return 'a directory';
  if (e.isSymbolicLink()) return 'a symbolic link';
  if (e.isFIFO()) return 'a FIFO';
  if (e.isSocket()) return 'a socket';
  if (e.isCharacterDevice()) return 'a character device';
  if (e.isBlockDevice()) return 'a block device';
  return 'of an unknown type';
}

/**
 * Logs whose headers verify must cover every generation between the lowest and the highest exactly
 * once, and that range must be the manifest's. Gaps are found between the logs present, never by
 * counting through a range a manifest names.
 */
function checkGenerations(
  files: BackupSetFileCheck[],
  manifest: BackupManifest | undefined,
  problems: CappedProblems<BackupSetProblem>,
): void {
  const byGeneration = new Map<number, string[]>();
  for (const f of files) {
    const h = f.ese.header;
    if (f.role === 'log' && h?.fileType === 'log' && h.checksumOk) {
      const names = byGeneration.get(h.generation);
      if (names) names.push(f.name);
      else byGeneration.set(h.generation, [f.name]);
    }
  }
  for (const [generation, names] of byGeneration) {
    if (names.length > 1)
      problems.push({
        kind: 'generations',
        message: `generation ${generation} appears in ${names.slice(0, 5).map(printableName).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`,
      });
  }
  const gens = [...byGeneration.keys()].sort((a, b) => a - b);
  const missing: number[] = [];
  let gaps = 0;
  for (let i = 1; i < gens.length; i++) {
    const from = gens[i - 1]! + 1;
    const to = gens[i]! - 1;
    if (from > to) continue;
    gaps++;
    // Ranges only: a gap of a billion generations costs two numbers, not a billion.
    if (missing.length < 40) missing.push(from, to);
  }
  if (gaps > 0) {
    const ranges = [];
    for (let i = 0; i < missing.length; i += 2)
      ranges.push(missing[i] === missing[i + 1] ? `${missing[i]}` : `${missing[i]}-${missing[i + 1]}`);
    problems.push({
      kind: 'generations',
      message: `log generations ${gens[0]}-${gens.at(-1)} are not contiguous: missing ${ranges.join(', ')}${gaps > ranges.length ? `, … (${gaps - ranges.length} more gaps)` : ''}`,
    });
  }
  const range = manifest?.logGenerations;
  if (!manifest) return;
  if (range && gens.length > 0 && (gens[0]! !== range.low || gens.at(-1)! !== range.high)) {
    const outside = gens.filter((g) => g < range.low || g > range.high);
    problems.push({
      kind: 'generations',
      message: `the logs present hold generations ${gens[0]}-${gens.at(-1)}; the manifest says ${range.low}-${range.high}${outside.length > 0 ? ` (outside it: ${formatRanges(outside)})` : ''}`,
    });
  }
}
