import { describe, expect, it } from 'vitest';
import { ESE_PAGE_SIZES } from '../../../src/engine/format/ese-format.js';
import { findBadPage } from '../../../src/engine/format/find-bad-page.js';
import { databaseImage } from './database-image.js';
import { misaligned, seeded } from './ese-fixtures.js';

describe('findBadPage', () => {
  it.each(ESE_PAGE_SIZES)('%i-byte pages: a flipped bit anywhere is found at its page index', (pageSize) => {
    const image = databaseImage(pageSize, 14);
    expect(findBadPage(image, 0, pageSize)).toBe(-1);
    const random = seeded(pageSize + 3);
    for (let n = 0; n < 300; n++) {
      const byte = random.below(image.length);
      const mask = 1 << random.below(8);
      image[byte]! ^= mask;
      const index = Math.floor(byte / pageSize);
      expect(findBadPage(image, 0, pageSize)).toBe(index);
      // The same pages seen as a chunk in the middle of the stream, and at a misaligned byteOffset.
      const from = Math.min(index, 3);
      const chunk = image.subarray(from * pageSize);
      expect(findBadPage(chunk, from, pageSize)).toBe(index - from);
      expect(findBadPage(misaligned(chunk, 2), from, pageSize)).toBe(index - from);
      image[byte]! ^= mask;
    }
  });

  it('reads pages 0 and 1 as headers and a given trailer index in header format', () => {
    const image = databaseImage(8192, 5, { streamed: true });
    const pages = image.length / 8192;
    expect(findBadPage(image, 0, 8192, pages - 1)).toBe(-1);
    // Without the trailer index the last page is data page pgno = pages - 2, and fails.
    expect(findBadPage(image, 0, 8192)).toBe(pages - 1);
    // A chunk whose first page is page 2 holds data pages only: a header there is a bad data page.
    expect(findBadPage(image.subarray(0, 2 * 8192), 2, 8192)).toBe(0);
  });

  it('rejects page sizes ESE does not use, partial pages and negative indexes', () => {
    expect(() => findBadPage(new Uint8Array(2048), 0, 2048)).toThrow(RangeError);
    expect(() => findBadPage(new Uint8Array(5000), 0, 4096)).toThrow(RangeError);
    expect(() => findBadPage(new Uint8Array(4096), -1, 4096)).toThrow(RangeError);
    expect(findBadPage(new Uint8Array(0), 7, 4096)).toBe(-1);
  });

  // Throughput: bench/find-bad-page-throughput.ts (npm run bench:pages), not a test.
});
