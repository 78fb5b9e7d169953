import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * The digest a backup set records for each of its files, named in the manifest (`digest`):
 * `blake3` (BLAKE3-256, the default for new sets) or `sha256` (SHA-256; every version 1 set).
 * Both give 256-bit digests with 128-bit collision resistance; BLAKE3 hashes 3-6 times faster here
 * (docs/benchmarks.md), which is what a verified backup spends most of its CPU on.
 */
export type FileDigestAlgorithm = 'sha256' | 'blake3';

/** Every {@link FileDigestAlgorithm}, in the order messages list them. */
export const FILE_DIGEST_ALGORITHMS: readonly FileDigestAlgorithm[] = ['blake3', 'sha256'];

/** The package that computes BLAKE3 (napi-rs, a prebuilt binary per platform as an optional dependency). */
export const BLAKE3_PACKAGE = '@napi-rs/blake-hash';

/** Whether `v` names a {@link FileDigestAlgorithm}. */
export function isFileDigestAlgorithm(v: unknown): v is FileDigestAlgorithm {
  return v === 'sha256' || v === 'blake3';
}

/** The algorithm's name as messages spell it: `SHA-256`, `BLAKE3`. */
export function digestLabel(algorithm: FileDigestAlgorithm): string {
  return algorithm === 'blake3' ? 'BLAKE3' : 'SHA-256';
}

/** Raised when BLAKE3 is needed but `@napi-rs/blake-hash` (or its binary for this platform) cannot be loaded. */
export class Blake3UnavailableError extends Error {
  constructor(
    override readonly cause: unknown,
    /** What the caller can do instead, appended to the message. */
    hint = '',
  ) {
    super(
      `BLAKE3 needs the package ${BLAKE3_PACKAGE} and its prebuilt binary for ${process.platform}-${process.arch} ` +
        `(an optional dependency: install with \`npm install ${BLAKE3_PACKAGE}\`, never with --omit=optional), ` +
        `but it cannot be loaded: ${(cause instanceof Error ? cause.message.split('\n')[0]! : String(cause)).replace(/\.$/, '')}${hint}`,
    );
    this.name = 'Blake3UnavailableError';
  }
}

/** A running digest of one stream of bytes (the same interface for both algorithms). */
export interface StreamDigest {
  update(chunk: Uint8Array): void;
  /** Lower-case hex. */
  digest(): string;
}

interface Blake3Module {
  Blake3Hasher: new () => { update(input: Uint8Array): unknown; digest(format: 'hex'): string };
}

let blake3: { module: Blake3Module; path: string } | { error: unknown } | undefined;

/** Loads the BLAKE3 package once (the outcome is kept: a missing binary does not appear later). */
function loadBlake3(): { module: Blake3Module; path: string } | { error: unknown } {
  if (blake3) return blake3;
  const require = createRequire(import.meta.url);
  try {
    const path = require.resolve(BLAKE3_PACKAGE);
    const module = require(BLAKE3_PACKAGE) as Blake3Module;
    if (typeof module?.Blake3Hasher !== 'function') throw new Error(`${BLAKE3_PACKAGE} has no Blake3Hasher`);
    blake3 = { module, path };
  } catch (error) {
    blake3 = { error };
  }
  return blake3;
}

/**
 * The BLAKE3 package's resolved path, for a hashing thread to load it too.
 * @throws Blake3UnavailableError when it cannot be loaded on this thread.
 */
export function blake3ModulePath(): string {
  const b = loadBlake3();
  if ('error' in b) throw new Blake3UnavailableError(b.error);
  return b.path;
}

/** Whether BLAKE3 can be computed in this process. */
export function blake3Available(): boolean {
  return !('error' in loadBlake3());
}

/**
 * A digest of `algorithm` computed on this thread.
 * @throws Blake3UnavailableError for `blake3` when its package cannot be loaded.
 */
export function createStreamDigest(algorithm: FileDigestAlgorithm): StreamDigest {
  if (algorithm === 'sha256') {
    const h = createHash('sha256');
    return { update: (chunk) => void h.update(chunk), digest: () => h.digest('hex') };
  }
  const b = loadBlake3();
  if ('error' in b) throw new Blake3UnavailableError(b.error);
  const h = new b.module.Blake3Hasher();
  return { update: (chunk) => void h.update(chunk), digest: () => h.digest('hex') };
}

let warned = false;

/**
 * The digest of a new set: `requested` when given (BLAKE3 must then load), else BLAKE3 when its
 * package loads, else SHA-256 with a process warning (`ESE_BACKUP_BLAKE3_UNAVAILABLE`, once per
 * process) saying why: a platform without the prebuilt binary still gets verified sets, and the
 * manifest names what was used.
 *
 * @throws Blake3UnavailableError when `blake3` was requested and cannot be loaded.
 * @throws RangeError for a name that is not a {@link FileDigestAlgorithm}.
 */
export function newSetDigest(requested?: FileDigestAlgorithm): FileDigestAlgorithm {
  if (requested !== undefined && !isFileDigestAlgorithm(requested))
    throw new RangeError(`digest must be ${FILE_DIGEST_ALGORITHMS.map((a) => `'${a}'`).join(' or ')}, got ${String(requested)}`);
  if (requested === 'sha256') return 'sha256';
  const b = loadBlake3();
  if (!('error' in b)) return 'blake3';
  if (requested === 'blake3') throw new Blake3UnavailableError(b.error, ' (a set can be written with SHA-256 instead: digest sha256)');
  if (!warned) {
    warned = true;
    process.emitWarning(`${new Blake3UnavailableError(b.error).message}. New sets record SHA-256 instead.`, {
      code: 'ESE_BACKUP_BLAKE3_UNAVAILABLE',
    });
  }
  return 'sha256';
}
