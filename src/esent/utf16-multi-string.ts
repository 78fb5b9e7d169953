/**
 * Decode an ESE "multi-string" list (`szz`): UTF-16LE strings, each NUL-terminated, with one more NUL
 * at the end; an empty list is a single NUL (reference §3 "Lists").
 *
 * Returns `undefined` when the bytes hold no complete list (no final NUL within `cbActual`): the W
 * variants truncate silently, so the caller asks again with a larger buffer.
 *
 * @param bytes the buffer ESE filled
 * @param cbActual the byte count ESE reported (clamped to the buffer)
 * @returns the strings, code unit for code unit (lone surrogates are kept), or undefined if truncated
 * @example
 * decodeMultiString(Buffer.from('a\0b\0\0', 'utf16le'), 10) // ['a', 'b']
 */
export function decodeMultiString(bytes: Uint8Array, cbActual: number): string[] | undefined {
  const units = Math.floor(Math.min(cbActual, bytes.length) / 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, units * 2);
  const out: string[] = [];
  let current: number[] = [];
  for (let i = 0; i < units; i++) {
    const unit = view.getUint16(i * 2, true);
    if (unit !== 0) {
      current.push(unit);
      continue;
    }
    if (current.length === 0) return out; // the final NUL (or the single NUL of an empty list)
    out.push(fromUnits(current));
    current = [];
  }
  return undefined;
}

/** Encode strings as an ESE multi-string list (the inverse of `decodeMultiString`). */
export function encodeMultiString(strings: readonly string[]): Buffer {
  return Buffer.from(strings.map((s) => `${s}\0`).join('') + '\0', 'utf16le');
}

function fromUnits(units: number[]): string {
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}
