import { createHash } from 'node:crypto';
import { digestLabel, FILE_DIGEST_ALGORITHMS, isFileDigestAlgorithm, type FileDigestAlgorithm } from './file-digest.js';
import { capMessage, MAX_PROBLEMS, printableName } from './problem-cap.js';

/** The file every committed backup set holds, written last: its presence means the set is whole. */
export const MANIFEST_NAME = 'manifest.json';
/** The optional keyed signature of `manifest.json` (HMAC-SHA-256), written just before it when a key is given. */
export const MANIFEST_SIGNATURE_FILE = 'manifest.sig';

/** `format` of a manifest: says the JSON is a backup set's manifest. */
export const MANIFEST_FORMAT = 'ese-backup-set';
/**
 * The manifest version this package writes: 2 names its files' digest algorithm (`digest`) and gives
 * each file's digest under that name. Version 1 (no `digest`, each file's `sha256`) is still read.
 */
export const MANIFEST_VERSION = 2;

/** One file of a set: a database as `JetReadFileInstance` streamed it (`db`) or a log (`log`). */
export interface BackupManifestFile {
  /** File name inside the set (no directories). */
  name: string;
  role: 'db' | 'log';
  /** Bytes; for a database, logical size + 2 header pages + 1 trailer page, as Open announced. */
  size: number;
  /**
   * The file's digest, lower-case hex, computed as its bytes were written: under the name of the
   * manifest's `digest` algorithm, the only one a file carries (see {@link manifestFileDigest}).
   */
  sha256?: string;
  /** BLAKE3-256 of the bytes (the manifest's `digest` is `blake3`). */
  blake3?: string;
  /** The path ESE named (GetAttachInfo, GetLogInfo). */
  source: string;
  /** Logs: the generation (from GetLogInfo2 and the file name). */
  generation?: number;
}

/** `manifest.json`: what a set holds and where it came from. */
export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  /** 2 for the sets this package writes; 1 for older sets (SHA-256, no `digest`). */
  version: 1 | typeof MANIFEST_VERSION;
  /** The algorithm of every file's digest (version 2); absent in version 1, whose files carry `sha256`. */
  digest?: FileDigestAlgorithm;
  /** `full` (Begin(0): databases and logs) or `incremental` (Begin(JET_bitBackupIncremental): logs only). */
  mode: 'full' | 'incremental';
  /** The database page size (4096-32768). */
  pageSize: number;
  /** Generations of the logs in the set, inclusive (`JET_LOGINFO` genLow/genHigh); `null` when it holds none. */
  logGenerations: { low: number; high: number } | null;
  /** Which instance of which backend the set was taken from. */
  instance: { backend: string; handle: string; name?: string };
  /** ISO 8601 times of Begin and of the commit. */
  startTime: string;
  endTime: string;
  /** The program that wrote the set. */
  tool: { name: string; version: string };
  files: BackupManifestFile[];
  /**
   * SHA-256 of the manifest itself: of `JSON.stringify(manifest without this key, null, 2)`. It is an
   * unkeyed checksum: it catches accidental change (a flipped bit, a truncated or hand-edited file),
   * not a deliberate one, since anyone who edits the manifest can recompute it. Tamper evidence needs
   * the optional keyed signature (`manifest.sig`, see `manifest-signature.ts`).
   */
  manifestSha256: string;
}

/** What {@link parseBackupManifest} found: every problem, and the manifest when its fields can be used. */
export interface ParsedBackupManifest {
  /** The manifest when every field has the right type (its checksum may still have failed). */
  manifest: BackupManifest | undefined;
  /** Every problem; empty when the manifest is well formed and intact. */
  problems: string[];
}

const HEX256 = /^[0-9a-f]{64}$/;

/** The algorithm of a manifest's file digests: its `digest`, or SHA-256 for a version 1 manifest. */
export function manifestDigestAlgorithm(manifest: Pick<BackupManifest, 'digest'>): FileDigestAlgorithm {
  return manifest.digest ?? 'sha256';
}

/** A file's digest as the manifest records it (hex under the manifest's algorithm). */
export function manifestFileDigest(manifest: Pick<BackupManifest, 'digest'>, file: BackupManifestFile): string {
  return file[manifestDigestAlgorithm(manifest)]!;
}

/**
 * The text of `manifest.json` for `manifest`: canonical JSON (two-space indent, a final newline)
 * ending with `manifestSha256`, so {@link parseBackupManifest} notices an accidental change to the
 * file (a deliberate one can recompute the checksum: only a keyed signature shows that).
 *
 * @example
 * await fsp.writeFile(path.join(dir, MANIFEST_NAME), serializeBackupManifest(manifest));
 */
export function serializeBackupManifest(manifest: Omit<BackupManifest, 'manifestSha256'>): string {
  const { manifestSha256: _ignored, ...body } = manifest as BackupManifest;
  const full = {
    ...body,
    manifestSha256: createHash('sha256')
      .update(JSON.stringify(body, null, 2))
      .digest('hex'),
  };
  return `${JSON.stringify(full, null, 2)}\n`;
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** ESE log generations are a LONG: 1 up to 2^31 - 1. */
const MAX_GENERATION = 0x7fffffff;
const isGeneration = (v: unknown): v is number => isCount(v) && v > 0 && v <= MAX_GENERATION;

/**
 * Parses and checks `manifest.json` text: every field present with the right type, file names plain
 * and unique, the log generation range matching the logs listed. Lists every problem, not just the first.
 *
 * @example
 * const { manifest, problems } = parseBackupManifest(fs.readFileSync(path.join(set, MANIFEST_NAME), 'utf8'));
 */
export function parseBackupManifest(text: string): ParsedBackupManifest {
  if (typeof text !== 'string') return { manifest: undefined, problems: ['manifest: not text'] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { manifest: undefined, problems: [capMessage(`manifest is not JSON: ${(e as Error).message}`)] };
  }
  const problems: string[] = [];
  let dropped = 0;
  const add = (message: string) => void (problems.length < MAX_PROBLEMS ? problems.push(capMessage(message)) : dropped++);
  const need = (ok: boolean, what: string) => void (ok || add(`manifest: ${what}`));
  if (!isObject(value)) return { manifest: undefined, problems: ['manifest: not a JSON object'] };
  const m = value;
  const { manifestSha256, ...body } = m;
  const integrity: string[] = [];
  // An unkeyed checksum: it shows accidental change only (anyone can recompute it after an edit).
  if (
    typeof manifestSha256 !== 'string' ||
    createHash('sha256')
      .update(JSON.stringify(body, null, 2))
      .digest('hex') !== manifestSha256
  ) {
    integrity.push('manifest: manifestSha256 does not match its content (accidental change or a hand edit)');
  } else if (text !== `${JSON.stringify(m, null, 2)}\n`) {
    integrity.push('manifest: the file is not the canonical text its checksum covers');
  }
  need(m.format === MANIFEST_FORMAT, `format must be "${MANIFEST_FORMAT}"`);
  need(
    m.version === 1 || m.version === MANIFEST_VERSION,
    `version must be 1 or ${MANIFEST_VERSION}, got ${capMessage(String(JSON.stringify(m.version)))}`,
  );
  // Version 1 sets are all SHA-256 and name no algorithm; version 2 names one this package computes.
  let algorithm: FileDigestAlgorithm | undefined;
  if (m.version === 1) {
    need(m.digest === undefined, 'digest belongs to version 2 manifests (version 1 files carry sha256)');
    algorithm = 'sha256';
  } else if (m.version === MANIFEST_VERSION) {
    if (isFileDigestAlgorithm(m.digest)) algorithm = m.digest;
    else if (typeof m.digest === 'string')
      add(
        `manifest: digest "${printableName(m.digest)}" is not an algorithm this version knows (${FILE_DIGEST_ALGORITHMS.join(', ')}): the files' digests cannot be checked`,
      );
    else add(`manifest: digest must name the files' digest algorithm (${FILE_DIGEST_ALGORITHMS.join(', ')})`);
  }
  need(m.mode === 'full' || m.mode === 'incremental', 'mode must be "full" or "incremental"');
  need([4096, 8192, 16384, 32768].includes(m.pageSize as number), 'pageSize must be 4096, 8192, 16384 or 32768');
  const gens = m.logGenerations;
  const gensOk = gens === null || (isObject(gens) && isGeneration(gens.low) && isGeneration(gens.high) && gens.low <= gens.high);
  need(gensOk, 'logGenerations must be null or { low, high } with 1 <= low <= high < 2^31');
  need(
    isObject(m.instance) && typeof m.instance.backend === 'string' && typeof m.instance.handle === 'string',
    'instance must name backend and handle',
  );
  for (const t of ['startTime', 'endTime'] as const)
    need(typeof m[t] === 'string' && !Number.isNaN(Date.parse(m[t] as string)), `${t} must be an ISO date`);
  need(isObject(m.tool) && typeof m.tool.name === 'string' && typeof m.tool.version === 'string', 'tool must name name and version');
  if (!Array.isArray(m.files)) {
    add('manifest: files must be an array');
    return { manifest: undefined, problems: [...integrity, ...problems] };
  }
  const names = new Set<string>();
  let low = Infinity;
  let high = -Infinity;
  let logs = 0;
  let dbs = 0;
  m.files.forEach((f: unknown, i) => {
    const at = `files[${i}]`;
    if (!isObject(f)) return void add(`manifest: ${at} is not an object`);
    const name = f.name;
    const plain =
      typeof name === 'string' &&
      name !== '' &&
      name !== '.' &&
      name !== '..' &&
      !/[/\\\0]/.test(name) &&
      name !== MANIFEST_NAME &&
      name !== MANIFEST_SIGNATURE_FILE &&
      name.length <= 255;
    need(plain, `${at}.name must be a plain file name`);
    if (plain && names.has(name)) add(`manifest: ${at}.name ${printableName(name)} is listed twice`);
    if (plain) names.add(name);
    need(f.role === 'db' || f.role === 'log', `${at}.role must be "db" or "log"`);
    need(isCount(f.size), `${at}.size must be a byte count`);
    if (algorithm) {
      const hex = f[algorithm];
      need(typeof hex === 'string' && HEX256.test(hex), `${at}.${algorithm} (${digestLabel(algorithm)}) must be 64 lower-case hex digits`);
      // One digest per file, of the manifest's algorithm: another one would be a digest nothing checks.
      for (const other of FILE_DIGEST_ALGORITHMS)
        if (other !== algorithm && f[other] !== undefined) add(`manifest: ${at}.${other} is not the manifest's digest (${algorithm})`);
    }
    need(typeof f.source === 'string', `${at}.source must be a string`);
    if (f.role === 'db') dbs++;
    if (f.role === 'log') {
      need(isGeneration(f.generation), `${at}.generation must be an integer from 1 to 2^31 - 1`);
      if (isGeneration(f.generation)) {
        logs++;
        low = Math.min(low, f.generation);
        high = Math.max(high, f.generation);
      }
    } else {
      need(f.generation === undefined, `${at}.generation belongs to logs only`);
    }
  });
  if (m.mode === 'full') need(dbs > 0, 'a full set holds at least one database');
  if (m.mode === 'incremental') need(dbs === 0, 'an incremental set holds logs only');
  // The range is exactly the listed logs' range: readers never trust it to bound a loop.
  if (gensOk && gens !== null && logs === 0)
    add(`manifest: logGenerations ${(gens as { low: number }).low}-${(gens as { high: number }).high} but no log is listed`);
  if (gensOk && gens !== null && logs > 0 && ((gens as { low: number }).low !== low || (gens as { high: number }).high !== high)) {
    add(
      `manifest: logGenerations ${(gens as { low: number }).low}-${(gens as { high: number }).high} differ from the listed logs' range ${low}-${high}`,
    );
  }
  if (gens === null) need(logs === 0, 'logGenerations is null but logs are listed');
  if (dropped > 0) problems.push(`manifest: … and ${dropped} more problems`);
  return { manifest: problems.length === 0 ? (m as unknown as BackupManifest) : undefined, problems: [...integrity, ...problems] };
}
