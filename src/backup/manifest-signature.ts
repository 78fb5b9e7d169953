import { createHmac, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { nodeBackupFs, writeNewFile, type BackupFs } from './backup-fs.js';
import { MANIFEST_SIGNATURE_FILE } from './backup-manifest.js';
import { openSetFile, readSetTextFile, SetFileError } from './open-set-file.js';
import { nodeVerifyFs, type VerifyFs } from './verify-fs.js';

/** The algorithm tag at the start of `manifest.sig`. */
const ALGORITHM = 'hmac-sha256';
/** Shortest key accepted: 128 bits. */
const MIN_KEY_BYTES = 16;
/** Longest key file read. */
const MAX_KEY_BYTES = 64 * 1024;

/**
 * HMAC-SHA-256 of the exact bytes of `manifest.json` under `key`, lower-case hex. Unlike the
 * manifest's own `manifestSha256`, it cannot be recomputed without the key: with the manifest listing
 * every file's digest (BLAKE3 or SHA-256), a matching signature shows that neither the manifest nor (through their
 * hashes, checked by `verifyBackupSet`) the files were changed by someone without the key.
 *
 * @example
 * const sig = signManifest(fs.readFileSync('set/manifest.json', 'utf8'), key);
 */
export function signManifest(manifestText: string, key: Uint8Array): string {
  return createHmac('sha256', key).update(manifestText, 'utf8').digest('hex');
}

/** The text of `manifest.sig`: `hmac-sha256 <hex>` and a newline. */
export function manifestSignatureText(manifestText: string, key: Uint8Array): string {
  return `${ALGORITHM} ${signManifest(manifestText, key)}\n`;
}

/**
 * Reads a signing key from a file: its bytes as they are (at least 16, at most 64 KiB), through the
 * same checks as a set's files (a regular file, no symlink, FIFO or device).
 *
 * @throws SetFileError when the file cannot be used as a key.
 * @example
 * const key = await readSignKey('/etc/ese-backup/sign.key');
 */
export async function readSignKey(file: string): Promise<Uint8Array> {
  const { handle, size } = await openSetFile(file, { maxBytes: MAX_KEY_BYTES });
  try {
    if (size < MIN_KEY_BYTES) throw new SetFileError(`signing key ${file} is ${size} bytes: at least ${MIN_KEY_BYTES} are needed`, file);
    const key = new Uint8Array(size);
    const { bytesRead } = await handle.read(key, 0, size, 0);
    if (bytesRead !== size) throw new SetFileError(`signing key ${file} changed while it was read`, file);
    return key;
  } finally {
    await handle.close();
  }
}

/** What checking a set's signature found. */
export type ManifestSignatureCheck =
  /** A key was given and `manifest.sig` matches the manifest. */
  | { state: 'valid' }
  /** A key was given and the signature is missing, malformed or does not match. */
  | { state: 'invalid'; message: string }
  /**
   * The set carries a signature but no key was given: nothing was checked. Also when no key was
   * given and `manifest.sig` could not be read (`readError` says why: whether the set is signed is
   * then unknown, and the reader must report it).
   */
  | { state: 'not-checked'; readError?: string }
  /** No key and no signature. */
  | { state: 'unsigned' };

/**
 * Checks `manifest.sig` of the set in `dir` against the manifest text. With a key, a signature is
 * required and must match (compared in constant time); without one, a present signature is reported
 * as not checked, never as valid. Reads through `io` (node:fs by default).
 */
export async function checkManifestSignature(
  dir: string,
  manifestText: string | undefined,
  key: Uint8Array | undefined,
  io: VerifyFs = nodeVerifyFs,
): Promise<ManifestSignatureCheck> {
  const file = path.join(dir, MANIFEST_SIGNATURE_FILE);
  let text: string | undefined;
  let readError: string | undefined;
  try {
    text = await readSetTextFile(file, 4096, io);
  } catch (e) {
    if (!(e instanceof SetFileError && e.code === 'ENOENT')) readError = (e as Error).message;
  }
  if (!key) {
    if (readError !== undefined) return { state: 'not-checked', readError };
    return text === undefined ? { state: 'unsigned' } : { state: 'not-checked' };
  }
  if (readError) return { state: 'invalid', message: `${MANIFEST_SIGNATURE_FILE}: ${readError}` };
  if (text === undefined)
    return { state: 'invalid', message: `${MANIFEST_SIGNATURE_FILE} is missing: the set is not signed, but a signing key was given` };
  if (manifestText === undefined) return { state: 'invalid', message: `${MANIFEST_SIGNATURE_FILE}: no manifest to check it against` };
  const match = /^hmac-sha256 ([0-9a-f]{64})\n$/.exec(text);
  if (!match) return { state: 'invalid', message: `${MANIFEST_SIGNATURE_FILE} is not "${ALGORITHM} <64 hex digits>"` };
  const expected = Buffer.from(signManifest(manifestText, key), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(match[1]!, 'hex')))
    return {
      state: 'invalid',
      message: `${MANIFEST_SIGNATURE_FILE} does not match the manifest under the given key: the manifest was changed or signed with another key`,
    };
  return { state: 'valid' };
}

/**
 * Writes `manifest.sig` for `manifestText` into `dir` (a set's temporary directory, before the rename
 * that commits it) and fdatasyncs it, through `io` (the fault campaign fails each call in turn). A
 * failure leaves at most a partial `manifest.sig` inside the temporary directory, which is withdrawn
 * whole: no set under a final name is ever missing its signature.
 */
export async function writeManifestSignature(
  dir: string,
  manifestText: string,
  key: Uint8Array,
  io: BackupFs = nodeBackupFs,
): Promise<void> {
  await writeNewFile(io, path.join(dir, MANIFEST_SIGNATURE_FILE), Buffer.from(manifestSignatureText(manifestText, key)));
}
