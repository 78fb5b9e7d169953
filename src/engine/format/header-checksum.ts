import { ESE_SIGNATURE } from './ese-format.js';
import { wordsOf, writeU32 } from './word-view.js';

/**
 * The XOR checksum ESE stores in the first u32 of a header (`ChecksumOldFormat`): 0x89ABCDEF XOR every
 * little-endian u32 of `bytes[4 .. length)`.
 *
 * ESE rule: database header, shadow and streamed-backup trailer pages are checksummed this way over the
 * whole page; log and checkpoint headers over their first 4096 bytes (reference §6).
 *
 * @param bytes the header (at least `length` bytes).
 * @param length bytes covered, a multiple of 4 (default: all of `bytes`).
 * @returns the checksum as an unsigned 32-bit number.
 * @throws RangeError when `length` is not a multiple of 4 or exceeds `bytes`.
 * @example
 * headerChecksum(page) === new DataView(page.buffer, page.byteOffset).getUint32(0, true)
 */
export function headerChecksum(bytes: Uint8Array, length: number = bytes.length): number {
  checkLength(bytes, length);
  return headerXor(wordsOf(bytes, 0, length), 0, length >>> 2);
}

/**
 * Writes {@link headerChecksum} at offset 0, so that {@link verifyHeaderChecksum} accepts the header.
 *
 * ESE rule: the first u32 of a header is its XOR checksum (`ulChecksum`).
 *
 * @returns the checksum written.
 * @example
 * setHeaderChecksum(header, 4096) // a log header
 */
export function setHeaderChecksum(bytes: Uint8Array, length: number = bytes.length): number {
  const sum = headerChecksum(bytes, length);
  writeU32(bytes, 0, sum);
  return sum;
}

/**
 * Whether the first u32 of `bytes` equals {@link headerChecksum} of `bytes[0 .. length)`.
 *
 * ESE rule: a header whose stored XOR checksum differs is corrupt (`JET_errReadVerifyFailure` for a
 * database header, `JET_errLogReadVerifyFailure` for a log).
 *
 * @example
 * verifyHeaderChecksum(logBytes, 4096)
 */
export function verifyHeaderChecksum(bytes: Uint8Array, length: number = bytes.length): boolean {
  checkLength(bytes, length);
  const words = wordsOf(bytes, 0, length);
  return headerXor(words, 0, length >>> 2) === (words[0] ?? 0) >>> 0;
}

/**
 * The seeded XOR of `words[start + 1 .. start + count)`: the hot-path form used on whole buffers.
 * Unrolled by four because it runs on every byte of a backup's header pages.
 */
export function headerXor(words: Int32Array, start: number, count: number): number {
  let a = ESE_SIGNATURE | 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const end = start + count;
  let i = start + 1;
  // Words 1..3, then aligned groups of four.
  for (; i < end && ((i - start) & 3) !== 0; i++) a ^= words[i]!;
  for (; i + 3 < end; i += 4) {
    a ^= words[i]!;
    b ^= words[i + 1]!;
    c ^= words[i + 2]!;
    d ^= words[i + 3]!;
  }
  for (; i < end; i++) a ^= words[i]!;
  return (a ^ b ^ c ^ d) >>> 0;
}

function checkLength(bytes: Uint8Array, length: number): void {
  if (!Number.isInteger(length) || length < 4 || (length & 3) !== 0 || length > bytes.length) {
    throw new RangeError(`length must be a multiple of 4 between 4 and ${bytes.length}, got ${length}`);
  }
}
