/**
 * 32-bit word access to ESE pages. ESE checksums little-endian u32 words; an Int32Array over the bytes
 * is the fast way to read them, but it needs a 4-aligned byteOffset and a little-endian host.
 */

/** Whether typed arrays on this host store little-endian words, as every ESE file does. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let scratch = new Int32Array(8192);

/**
 * The little-endian u32 words (as int32) of `bytes[offset, offset + length)`, `length` a multiple of 4.
 * A view over the same memory when the bytes are 4-aligned on a little-endian host (no copy);
 * otherwise a copy in a scratch buffer that the next call overwrites, so use it before calling again.
 */
export function wordsOf(bytes: Uint8Array, offset: number, length: number): Int32Array {
  const byteStart = bytes.byteOffset + offset;
  if (HOST_IS_LITTLE_ENDIAN && (byteStart & 3) === 0) {
    return new Int32Array(bytes.buffer, byteStart, length >>> 2);
  }
  return copyWords(bytes, offset, length);
}

/** Copies `length` bytes into the scratch word buffer, reading little-endian (grows it when needed). */
export function copyWords(bytes: Uint8Array, offset: number, length: number): Int32Array {
  const count = length >>> 2;
  if (scratch.length < count) scratch = new Int32Array(count);
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(scratch.buffer, 0, count << 2).set(bytes.subarray(offset, offset + (count << 2)));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count << 2);
    for (let i = 0; i < count; i++) scratch[i] = view.getInt32(i << 2, true);
  }
  return scratch;
}

/** Writes `value` as a little-endian u32 at `bytes[offset]`. */
export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

/** Reads the little-endian u32 at `bytes[offset]` (unsigned). */
export function readU32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8) | ((bytes[offset + 2] ?? 0) << 16) | ((bytes[offset + 3] ?? 0) << 24)) >>> 0
  );
}

/** Reads the little-endian u16 at `bytes[offset]`. */
export function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}
