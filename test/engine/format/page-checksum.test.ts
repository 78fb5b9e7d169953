import { describe, expect, it } from 'vitest';
import { blockChecksum, blockResult } from '../../../src/engine/format/block-checksum.js';
import { ESE_PAGE_SIZES, EseOffset, PAGE_FLAG_NEW_CHECKSUM } from '../../../src/engine/format/ese-format.js';
import {
  dataPageChecksum,
  headerChecksum,
  setDataPageChecksum,
  setHeaderChecksum,
  verifyDataPage,
  verifyHeaderChecksum,
} from '../../../src/engine/format/page-checksum.js';
import { misaligned, seeded } from './ese-fixtures.js';
import { referenceBlockChecksum } from './reference-ecc.js';

const u32 = (bytes: Uint8Array, offset: number): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);
const flip = (bytes: Uint8Array, bit: number): void => {
  bytes[bit >>> 3]! ^= 1 << (bit & 7);
};

describe('blockChecksum', () => {
  it.each([1024, 2048, 4096, 8192])('matches a literal reading of ChecksumNewFormat on random %i-byte blocks', (size) => {
    const random = seeded(size);
    for (let trial = 0; trial < 40; trial++) {
      const block = random.fill(new Uint8Array(size));
      // Sparse blocks too: real pages are mostly zeros.
      if (trial % 2) for (let i = 0; i < size; i++) if (random.below(8)) block[i] = 0;
      const pgno = random.u32();
      for (const header of [true, false]) {
        blockChecksum(new Int32Array(block.buffer), 0, size / 4, header, pgno);
        expect([blockResult[0]! >>> 0, blockResult[1]! >>> 0]).toEqual(referenceBlockChecksum(block, pgno, header));
      }
    }
  });
});

describe('headerChecksum', () => {
  it('is 0x89ABCDEF for a zero header and ignores the first u32', () => {
    const page = new Uint8Array(4096);
    expect(headerChecksum(page)).toBe(0x89abcdef);
    page[0] = 0xff;
    expect(headerChecksum(page)).toBe(0x89abcdef);
  });

  it.each([4096, 8192, 16384, 32768])('round-trips a %i-byte header and fails on every flipped bit sampled', (size) => {
    const random = seeded(size + 1);
    const page = random.fill(new Uint8Array(size));
    expect(setHeaderChecksum(page)).toBe(u32(page, 0));
    expect(verifyHeaderChecksum(page)).toBe(true);
    expect(verifyHeaderChecksum(misaligned(page, 3))).toBe(true);
    for (let n = 0; n < 500; n++) {
      const bit = random.below(size * 8);
      flip(page, bit);
      expect(verifyHeaderChecksum(page)).toBe(false);
      flip(page, bit);
    }
  });

  it('covers only `length` bytes (log and checkpoint headers are the first 4096)', () => {
    const bytes = seeded(7).fill(new Uint8Array(8192));
    setHeaderChecksum(bytes, 4096);
    bytes[5000]! ^= 1;
    expect(verifyHeaderChecksum(bytes, 4096)).toBe(true);
    expect(() => headerChecksum(bytes, 4095)).toThrow(RangeError);
    expect(() => headerChecksum(bytes, 9000)).toThrow(RangeError);
  });
});

describe('data page checksums', () => {
  it.each(ESE_PAGE_SIZES)('%i-byte pages: set, verify, and every single flipped bit fails', (size) => {
    const random = seeded(size + 2);
    const page = random.fill(new Uint8Array(size));
    const pgno = 1 + random.below(1_000_000);
    const sums = setDataPageChecksum(page, pgno);
    expect(sums).toHaveLength(size <= 8192 ? 1 : 4);
    expect(u32(page, EseOffset.pageFlags) & PAGE_FLAG_NEW_CHECKSUM).toBe(PAGE_FLAG_NEW_CHECKSUM);
    expect(verifyDataPage(page, pgno)).toBe(true);
    expect(verifyDataPage(page, pgno + 1)).toBe(false);
    expect(verifyDataPage(misaligned(page), pgno)).toBe(true);
    expect(dataPageChecksum(page, pgno)).toEqual(sums);
    expect({ low: u32(page, 0), high: u32(page, 4) }).toEqual(sums[0]);
    if (size > 8192) {
      expect(u32(page, EseOffset.largePagePgno)).toBe(pgno);
      for (let block = 1; block < 4; block++) {
        const at = EseOffset.pageBlockChecksums + 8 * (block - 1);
        expect({ low: u32(page, at), high: u32(page, at + 4) }).toEqual(sums[block]);
      }
    }
    // Exhaustive: ESE's ECC detects every single-bit error, in data and in the stored checksums alike.
    for (let bit = 0; bit < size * 8; bit++) {
      flip(page, bit);
      if (verifyDataPage(page, pgno)) throw new Error(`flipping bit ${bit} of a ${size}-byte page went unnoticed`);
      flip(page, bit);
    }
    expect(verifyDataPage(page, pgno)).toBe(true);
  });

  it('uses the old format, (pgno << 32) | xor, when flag 0x2000 is clear', () => {
    const page = seeded(9).fill(new Uint8Array(8192));
    page.fill(0, EseOffset.pageFlags, EseOffset.pageFlags + 4);
    // The pgno half is stored at offset 4, inside the span the XOR covers (all but the first u32).
    new DataView(page.buffer).setUint32(4, 42, true);
    const [sum] = dataPageChecksum(page, 42);
    expect(sum).toEqual({ low: headerChecksum(page), high: 42 });
    new DataView(page.buffer).setUint32(0, sum!.low, true);
    expect(verifyDataPage(page, 42)).toBe(true);
    expect(verifyDataPage(page, 43)).toBe(false);
  });

  it('accepts all-zero (never written) pages, rejects a large page whose stored pgno is wrong', () => {
    for (const size of ESE_PAGE_SIZES) expect(verifyDataPage(new Uint8Array(size), 5)).toBe(true);
    const page = seeded(11).fill(new Uint8Array(16384));
    setDataPageChecksum(page, 5);
    new DataView(page.buffer).setUint32(EseOffset.largePagePgno, 6, true);
    // Re-stamp block 0 around the wrong pgno, so only the pgno check can catch it.
    blockChecksum(new Int32Array(page.buffer), 0, 1024, true, 5);
    new DataView(page.buffer).setInt32(0, blockResult[0]!, true);
    new DataView(page.buffer).setInt32(4, blockResult[1]!, true);
    expect(verifyDataPage(page, 5)).toBe(false);
  });

  it('rejects sizes and page numbers ESE does not use', () => {
    expect(() => verifyDataPage(new Uint8Array(2048), 1)).toThrow(RangeError);
    expect(() => setDataPageChecksum(new Uint8Array(4096), -1)).toThrow(RangeError);
  });
});
