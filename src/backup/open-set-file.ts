import fs from 'node:fs';
import { nodeVerifyFs, type VerifyFileHandle, type VerifyFs } from './verify-fs.js';

/** The largest `manifest.json` any reader accepts: far above what a set of thousands of files needs. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** A file of a set that is not a regular file, too large, or cannot be opened: `message` says which. */
export class SetFileError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'SetFileError';
  }
}

/** What kind of directory entry `stat` describes, in words. */
export function describeFileType(stat: fs.Stats): string {
  if (stat.isFile()) return 'a regular file';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Opens a file of a backup set for reading only if it is a regular file: never follows a symbolic
 * link (`O_NOFOLLOW`), never blocks on a FIFO (`O_NONBLOCK`; the type is checked with `fstat` on the
 * opened descriptor, so a swap between check and open cannot slip past), never reads a device.
 * With `maxBytes`, a larger file is refused before any byte is read. Through `io` (node:fs by default).
 *
 * @throws SetFileError naming the file and what it is (symlink, FIFO, device, directory, too large, ENOENT…).
 * @example
 * const handle = await openSetFile('/b/full/manifest.json', { maxBytes: MAX_MANIFEST_BYTES });
 */
export async function openSetFile(
  file: string,
  options: { maxBytes?: number; io?: VerifyFs } = {},
): Promise<{ handle: VerifyFileHandle; size: number }> {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let handle: VerifyFileHandle;
  try {
    handle = await (options.io ?? nodeVerifyFs).open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new SetFileError(`${file} is a symbolic link: not followed`, file, code);
    if (code === 'ENXIO') throw new SetFileError(`${file} is a socket or a FIFO without a writer: not a regular file`, file, code);
    throw new SetFileError(`${file}: ${(e as Error).message}`, file, code);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SetFileError(`${file} is ${describeFileType(stat)}, not a regular file`, file);
    if (options.maxBytes !== undefined && stat.size > options.maxBytes)
      throw new SetFileError(`${file} is ${stat.size} bytes: more than the ${options.maxBytes} allowed`, file);
    return { handle, size: stat.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * Reads `manifest.json` (or any small text file of a set) through {@link openSetFile}: a regular file
 * of at most 16 MiB, never a symlink, FIFO or device, decoded as strict UTF-8. Through `io` (node:fs by default).
 *
 * @throws SetFileError when the file is missing, not a regular file, too large, changes size while read, or not UTF-8.
 */
export async function readSetTextFile(file: string, maxBytes = MAX_MANIFEST_BYTES, io: VerifyFs = nodeVerifyFs): Promise<string> {
  const { handle, size } = await openSetFile(file, { maxBytes, io });
  try {
    // One byte more than announced tells a file that grew while it was read.
    const buffer = new Uint8Array(size + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled !== size) throw new SetFileError(`${file} changed size while it was read (${size} then ${filled} bytes)`, file);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, size));
    } catch {
      throw new SetFileError(`${file} is not UTF-8 text`, file);
    }
  } finally {
    await handle.close();
  }
}
