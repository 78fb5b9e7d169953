// ESE's double-NUL lists, decoded code unit for code unit; a list without its final NUL is "truncated".
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMultiString, encodeMultiString } from '../../src/esent/index.js';

describe('esent: UTF-16 multi-string lists', () => {
  it('an empty list is a single NUL', () => {
    expect(decodeMultiString(Buffer.from([0, 0]), 2)).toEqual([]);
    expect(encodeMultiString([])).toEqual(Buffer.from([0, 0]));
  });

  it('round-trips any strings without NUL, surrogate pairs and lone surrogates included', () => {
    const item = fc.string({ unit: fc.integer({ min: 1, max: 0xffff }).map((u) => String.fromCharCode(u)), minLength: 1 });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), (strings) => {
        const bytes = encodeMultiString(strings);
        expect(decodeMultiString(bytes, bytes.length)).toEqual(strings);
      }),
      { numRuns: 200, seed: 4 },
    );
  });

  it('is undefined when the final NUL is missing: cut anywhere inside the list, or an odd byte count', () => {
    const bytes = encodeMultiString(['C:\\db\\a.edb', 'C:\\db\\😀.edb']);
    for (let cb = 0; cb < bytes.length - 1; cb++) expect(decodeMultiString(bytes, cb)).toBeUndefined();
    expect(decodeMultiString(bytes, bytes.length - 1)).toBeUndefined();
    expect(decodeMultiString(bytes.subarray(0, 10), bytes.length)).toBeUndefined(); // cbActual past the buffer
    expect(decodeMultiString(bytes, bytes.length + 100)).toEqual(['C:\\db\\a.edb', 'C:\\db\\😀.edb']);
  });
});
