import { createHash } from 'node:crypto';

/** The file every committed backup set holds, written last: its presence means the set is whole. */
export const MANIFEST_NAME = 'manifest.json';

/** `format` of a manifest: says the JSON is a backup set's manifest. */
export const MANIFEST_FORMAT = 'ese-backup-set';
/** The one manifest version this package writes and reads. */
export const MANIFEST_VERSION = 1;

/** One file of a set: a database as `JetReadFileInstance` streamed it (`db`) or a log (`log`). */
export interface BackupManifestFile {
  /** File name inside the set (no directories). */
  name: string;
  role: 'db' | 'log';
  /** Bytes; for a database, logical size + 2 header pages + 1 trailer page, as Open announced. */
  size: number;
  /** SHA-256 of the bytes, lower-case hex, computed as they were written. */
  sha256: string;
  /** The path ESE named (GetAttachInfo, GetLogInfo). */
  source: string;
  /** Logs: the generation (from GetLogInfo2 and the file name). */
  generation?: number;
}

/** `manifest.json`: what a set holds and where it came from. */
export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
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
   * SHA-256 of the manifest itself: of `JSON.stringify(manifest without this key, null, 2)`. With the
   * check that the file is exactly that canonical text plus this key, any change to the file shows.
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

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The text of `manifest.json` for `manifest`: canonical JSON (two-space indent, a final newline)
 * ending with `manifestSha256`, so {@link parseBackupManifest} notices any change to the file.
 *
 * @example
 * await fsp.writeFile(path.join(dir, MANIFEST_NAME), serializeBackupManifest(manifest));
 */
export function serializeBackupManifest(manifest: Omit<BackupManifest, 'manifestSha256'>): string {
  const { manifestSha256: _ignored, ...body } = manifest as BackupManifest;
  const full = { ...body, manifestSha256: createHash('sha256').update(JSON.stringify(body, null, 2)).digest('hex') };
  return `${JSON.stringify(full, null, 2)}\n`;
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and checks `manifest.json` text: every field present with the right type, file names plain
 * and unique, the log generation range matching the logs listed. Lists every problem, not just the first.
 *
 * @example
 * const { manifest, problems } = parseBackupManifest(fs.readFileSync(path.join(set, MANIFEST_NAME), 'utf8'));
 */
export function parseBackupManifest(text: string): ParsedBackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { manifest: undefined, problems: [`manifest is not JSON: ${(e as Error).message}`] };
  }
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => void (ok || problems.push(`manifest: ${what}`));
  if (!isObject(value)) return { manifest: undefined, problems: ['manifest: not a JSON object'] };
  const m = value;
  const { manifestSha256, ...body } = m;
  const integrity: string[] = [];
  if (typeof manifestSha256 !== 'string' || createHash('sha256').update(JSON.stringify(body, null, 2)).digest('hex') !== manifestSha256) {
    integrity.push('manifest: manifestSha256 does not match its content');
  } else if (text !== `${JSON.stringify(m, null, 2)}\n`) {
    integrity.push('manifest: the file is not the canonical text its checksum covers');
  }
  need(m.format === MANIFEST_FORMAT, `format must be "${MANIFEST_FORMAT}"`);
  need(m.version === MANIFEST_VERSION, `version must be ${MANIFEST_VERSION}, got ${JSON.stringify(m.version)}`);
  need(m.mode === 'full' || m.mode === 'incremental', 'mode must be "full" or "incremental"');
  need([4096, 8192, 16384, 32768].includes(m.pageSize as number), 'pageSize must be 4096, 8192, 16384 or 32768');
  const gens = m.logGenerations;
  need(gens === null || (isObject(gens) && isCount(gens.low) && isCount(gens.high) && gens.low <= gens.high), 'logGenerations must be null or { low, high } with low <= high');
  need(isObject(m.instance) && typeof m.instance.backend === 'string' && typeof m.instance.handle === 'string', 'instance must name backend and handle');
  for (const t of ['startTime', 'endTime'] as const) need(typeof m[t] === 'string' && !Number.isNaN(Date.parse(m[t] as string)), `${t} must be an ISO date`);
  need(isObject(m.tool) && typeof m.tool.name === 'string' && typeof m.tool.version === 'string', 'tool must name name and version');
  if (!Array.isArray(m.files)) {
    problems.push('manifest: files must be an array');
    return { manifest: undefined, problems };
  }
  const names = new Set<string>();
  const logGens: number[] = [];
  m.files.forEach((f: unknown, i) => {
    const at = `files[${i}]`;
    if (!isObject(f)) return void problems.push(`manifest: ${at} is not an object`);
    const name = f.name;
    const plain = typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name) && name !== MANIFEST_NAME;
    need(plain, `${at}.name must be a plain file name`);
    if (plain && names.has(name)) problems.push(`manifest: ${at}.name ${name} is listed twice`);
    if (plain) names.add(name);
    need(f.role === 'db' || f.role === 'log', `${at}.role must be "db" or "log"`);
    need(isCount(f.size), `${at}.size must be a byte count`);
    need(typeof f.sha256 === 'string' && SHA256.test(f.sha256), `${at}.sha256 must be 64 lower-case hex digits`);
    need(typeof f.source === 'string', `${at}.source must be a string`);
    if (f.role === 'log') {
      need(isCount(f.generation) && f.generation > 0, `${at}.generation must be a positive integer`);
      if (isCount(f.generation)) logGens.push(f.generation);
    }
  });
  if (m.mode === 'full') need(m.files.some((f: unknown) => isObject(f) && f.role === 'db'), 'a full set holds at least one database');
  if (isObject(gens) && logGens.length > 0) {
    need(Math.min(...logGens) === gens.low && Math.max(...logGens) === gens.high, `logGenerations ${gens.low}-${gens.high} do not match the logs listed`);
  }
  if (gens === null) need(logGens.length === 0, 'logGenerations is null but logs are listed');
  return { manifest: problems.length === 0 ? (m as unknown as BackupManifest) : undefined, problems: [...integrity, ...problems] };
}
