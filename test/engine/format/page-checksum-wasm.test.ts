import { describe, expect, it } from 'vitest';
import { blockChecksum, blockResult } from '../../../src/engine/format/block-checksum.js';
import { dataPageFault, PageFault } from '../../../src/engine/format/data-page-fault.js';
import { ESE_PAGE_SIZES, EseOffset } from '../../../src/engine/format/ese-format.js';
import { findBadPage, findBadPageJs } from '../../../src/engine/format/find-bad-page.js';
import {
  allocateBackupBuffer,
  ownPageKernel,
  pageChecksumModule,
  useWasmPageKernel,
  WASM_SLICE_BYTES,
  wasmPageKernel,
} from '../../../src/engine/format/page-checksum-wasm.js';
import { setDataPageChecksum, setHeaderChecksum } from '../../../src/engine/format/page-checksum.js';
import { databaseImage } from './database-image.js';
import { goodDatabases, misaligned, readEseReal, seeded } from './ese-fixtures.js';
import { referenceBlockChecksum } from './reference-ecc.js';

// Node 20 on x64 and arm64 has WebAssembly SIMD: the kernel must be there, or these tests test nothing.
const kernel = wasmPageKernel();
if (!kernel) throw new Error('the WebAssembly page-checksum kernel did not instantiate');
const wasm = kernel;

const flip = (bytes: Uint8Array, bit: number): void => {
  bytes[bit >>> 3]! ^= 1 << (bit & 7);
};
/** Whether the JavaScript kernel (the oracle) accepts `page` as data page `pgno`. */
const jsAccepts = (page: Uint8Array, pgno: number): boolean =>
  dataPageFault(new Int32Array(page.buffer, page.byteOffset, page.length >>> 2), 0, page.length >>> 2, pgno) === PageFault.none;
/** Whether the WebAssembly kernel accepts the page it holds at byte 0. */
const wasmAccepts = (pageSize: number, pgno: number): boolean => wasm.dataPages(0, 1, pageSize, pgno) === 1;

describe('the WebAssembly module', () => {
  it('is valid, small, and assembled to the same bytes every time', () => {
    const bytes = pageChecksumModule();
    const api = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
    expect(api.validate(bytes)).toBe(true);
    expect(bytes.length).toBeLessThan(2048);
    expect(pageChecksumModule()).toEqual(bytes);
    expect(wasmPageKernel()).toBe(kernel);
  });

  it('can be turned off and on again; findBadPage answers the same either way', () => {
    const image = databaseImage(8192, 20);
    image[9 * 8192 + 100]! ^= 4;
    try {
      useWasmPageKernel(false);
      expect(wasmPageKernel()).toBeNull();
      expect(findBadPage(image, 0, 8192)).toBe(9);
    } finally {
      useWasmPageKernel(true);
    }
    expect(wasmPageKernel()).toBe(kernel);
    expect(findBadPage(image, 0, 8192)).toBe(9);
  });
});

describe('WebAssembly blockChecksum', () => {
  it.each([1024, 2048, 4096, 8192])('%i-byte blocks: the same u64 as the JavaScript kernel and the literal ChecksumNewFormat', (size) => {
    const random = seeded(size * 7);
    for (let trial = 0; trial < 200; trial++) {
      const block = wasm.bytes.subarray(0, size);
      random.fill(block);
      // Sparse and all-ones blocks too: real pages are mostly zeros, and parities must not saturate.
      if (trial % 3 === 1) for (let i = 0; i < size; i++) if (random.below(8)) block[i] = 0;
      if (trial === 2) block.fill(0xff);
      const pgno = trial === 3 ? 0xffffffff : random.u32();
      for (const header of [true, false]) {
        const stored = BigInt.asUintN(64, wasm.block(0, size, header, pgno));
        blockChecksum(new Int32Array(block.buffer, 0, size / 4), 0, size / 4, header, pgno);
        expect([Number(stored & 0xffffffffn), Number(stored >> 32n)]).toEqual([blockResult[0]! >>> 0, blockResult[1]! >>> 0]);
        if (trial < 40) expect([Number(stored & 0xffffffffn), Number(stored >> 32n)]).toEqual(referenceBlockChecksum(block, pgno, header));
      }
    }
  });
});

describe('WebAssembly data-page check', () => {
  it.each(ESE_PAGE_SIZES)(
    '%i-byte pages: accepts a stamped page, and rejects every single flipped bit, as the JavaScript kernel does',
    (size) => {
      const random = seeded(size + 11);
      const page = wasm.bytes.subarray(0, size);
      random.fill(page);
      const pgno = 1 + random.below(1_000_000);
      setDataPageChecksum(page, pgno);
      expect(wasmAccepts(size, pgno)).toBe(true);
      expect(wasmAccepts(size, pgno + 1)).toBe(false);
      for (let bit = 0; bit < size * 8; bit++) {
        flip(page, bit);
        const w = wasmAccepts(size, pgno);
        if (w || w !== jsAccepts(page, pgno)) throw new Error(`bit ${bit} of a ${size}-byte page: wasm ${w}, js ${jsAccepts(page, pgno)}`);
        flip(page, bit);
      }
      expect(wasmAccepts(size, pgno)).toBe(true);
    },
  );

  it.each(ESE_PAGE_SIZES)(
    '%i-byte pages: zero pages pass; old-format, zero-checksum and wrong-pgno pages are left to the JavaScript kernel',
    (size) => {
      const page = wasm.bytes.subarray(0, size);
      page.fill(0);
      expect(wasmAccepts(size, 9)).toBe(true);
      // Nonzero content behind a zero checksum: not a blank page.
      page[size - 1] = 1;
      expect(wasmAccepts(size, 9)).toBe(false);
      expect(jsAccepts(page, 9)).toBe(false);
      // The old format, (pgno << 32) | xor: valid for the JavaScript kernel, never accepted by this one.
      seeded(size).fill(page);
      page.fill(0, EseOffset.pageFlags, EseOffset.pageFlags + 4);
      new DataView(page.buffer).setUint32(4, 9, true);
      if (size > 8192) new DataView(page.buffer).setUint32(EseOffset.largePagePgno, 9, true);
      setHeaderChecksum(page);
      expect(jsAccepts(page, 9)).toBe(true);
      expect(wasmAccepts(size, 9)).toBe(false);
      expect(findBadPage(page.slice(), 10, size)).toBe(-1);
      if (size > 8192) {
        // A large page whose block checksums are right but whose stored pgno (offset 64) is not.
        seeded(size + 1).fill(page);
        setDataPageChecksum(page, 9);
        new DataView(page.buffer).setUint32(EseOffset.largePagePgno, 10, true);
        blockChecksum(new Int32Array(page.buffer, 0, size / 4), 0, size / 16, true, 9);
        new DataView(page.buffer).setInt32(0, blockResult[0]!, true);
        new DataView(page.buffer).setInt32(4, blockResult[1]!, true);
        expect(dataPageFault(new Int32Array(page.buffer, 0, size / 4), 0, size / 4, 9)).toBe(PageFault.pgno);
        expect(wasmAccepts(size, 9)).toBe(false);
      }
    },
  );
});

describe('findBadPage with the WebAssembly kernel against findBadPageJs', () => {
  it.each(ESE_PAGE_SIZES)(
    '%i-byte pages: random chunks, trailers, misalignment, flips and old-format pages give the same index',
    (pageSize) => {
      // More than two slices of data pages, so runs cross slice boundaries.
      const dataPages = Math.ceil((2.5 * WASM_SLICE_BYTES) / pageSize);
      const image = databaseImage(pageSize, dataPages, { streamed: true, seed: pageSize + 5 });
      const pages = image.length / pageSize;
      const trailer = pages - 1;
      // A valid old-format page among the data pages (file page 4, pgno 3).
      const old = image.subarray(4 * pageSize, 5 * pageSize);
      old.fill(0, EseOffset.pageFlags, EseOffset.pageFlags + 4);
      new DataView(old.buffer, old.byteOffset).setUint32(4, 3, true);
      if (pageSize > 8192) new DataView(old.buffer, old.byteOffset).setUint32(EseOffset.largePagePgno, 3, true);
      setHeaderChecksum(old);
      const random = seeded(pageSize + 17);
      const same = (bytes: Uint8Array, from: number): number => {
        const expected = findBadPageJs(bytes, from, pageSize, trailer);
        expect(findBadPage(bytes, from, pageSize, trailer)).toBe(expected);
        expect(findBadPage(misaligned(bytes, 1 + random.below(3)), from, pageSize, trailer)).toBe(expected);
        return expected;
      };
      expect(findBadPageJs(old, 4, pageSize)).toBe(-1);
      expect(same(image, 0)).toBe(-1);
      for (let n = 0; n < 60; n++) {
        const from = random.below(pages);
        const to = from + 1 + random.below(pages - from);
        const flips = random.below(3);
        const bits = Array.from({ length: flips }, () => (from + random.below(to - from)) * pageSize * 8 + random.below(pageSize * 8));
        for (const bit of bits) flip(image, bit);
        const bad = same(image.subarray(from * pageSize, to * pageSize), from);
        if (flips === 1) expect(bad).toBe(Math.floor(bits[0]! / 8 / pageSize) - from);
        for (const bit of bits) flip(image, bit);
      }
      // Without a trailer index the trailer is a data page, and fails as one in both kernels.
      expect(findBadPage(image, 0, pageSize)).toBe(findBadPageJs(image, 0, pageSize));
      expect(findBadPage(image, 0, pageSize)).toBe(trailer);
    },
  );

  it.each(goodDatabases)('real %s: every page passes, and a flipped bit is found at its page, by both kernels', (name, pageSize) => {
    const bytes = readEseReal(name).slice();
    expect(findBadPage(bytes, 0, pageSize)).toBe(-1);
    expect(findBadPageJs(bytes, 0, pageSize)).toBe(-1);
    const random = seeded(bytes.length);
    for (let n = 0; n < 40; n++) {
      const byte = random.below(bytes.length);
      const mask = 1 << random.below(8);
      bytes[byte]! ^= mask;
      const index = Math.floor(byte / pageSize);
      // A flip in a never-written (all-zero) page makes it a bad page too: it no longer reads as blank.
      expect(findBadPage(bytes, 0, pageSize)).toBe(index);
      expect(findBadPageJs(bytes, 0, pageSize)).toBe(index);
      bytes[byte]! ^= mask;
    }
  });
});

describe('allocateBackupBuffer: pages checked in place', () => {
  it('is a zero-filled Uint8Array of the size asked, at the start of its own kernel memory', () => {
    for (const size of [1, 4096, 65536, 65537, 1 << 20]) {
      const buffer = allocateBackupBuffer(size);
      expect(buffer).toBeInstanceOf(Uint8Array);
      expect([buffer.length, buffer.byteOffset, buffer.buffer.byteLength % 65536]).toEqual([size, 0, 0]);
      expect(buffer.every((b) => b === 0)).toBe(true);
      expect(ownPageKernel(buffer)).not.toBeNull();
      expect(ownPageKernel(buffer.subarray(1))).toBe(ownPageKernel(buffer));
    }
    expect(ownPageKernel(new Uint8Array(4096))).toBeNull();
    expect(ownPageKernel(wasm.bytes)).toBeNull(); // the scratch memory is not a caller's buffer
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => allocateBackupBuffer(bad)).toThrow(RangeError);
  });

  it.each(ESE_PAGE_SIZES)(
    '%i-byte pages: the same index as findBadPageJs for flips, trailers, old-format pages and any byteOffset',
    (pageSize) => {
      const image = databaseImage(pageSize, Math.ceil((2.5 * WASM_SLICE_BYTES) / pageSize), { streamed: true, seed: pageSize + 9 });
      const pages = image.length / pageSize;
      const trailer = pages - 1;
      const old = image.subarray(4 * pageSize, 5 * pageSize);
      old.fill(0, EseOffset.pageFlags, EseOffset.pageFlags + 4);
      new DataView(old.buffer, old.byteOffset).setUint32(4, 3, true);
      if (pageSize > 8192) new DataView(old.buffer, old.byteOffset).setUint32(EseOffset.largePagePgno, 3, true);
      setHeaderChecksum(old);
      const random = seeded(pageSize + 23);
      for (const shift of [0, 1, 4, 6]) {
        const backing = allocateBackupBuffer(image.length + shift);
        const buffer = backing.subarray(shift);
        buffer.set(image);
        expect(findBadPage(buffer, 0, pageSize, trailer)).toBe(-1);
        for (let n = 0; n < 30; n++) {
          const from = random.below(pages);
          const to = from + 1 + random.below(pages - from);
          const bit = (from + random.below(to - from)) * pageSize * 8 + random.below(pageSize * 8);
          flip(buffer, bit);
          const chunk = buffer.subarray(from * pageSize, to * pageSize);
          const expected = findBadPageJs(chunk, from, pageSize, trailer);
          expect(expected).toBe(Math.floor(bit / 8 / pageSize) - from);
          expect(findBadPage(chunk, from, pageSize, trailer)).toBe(expected);
          flip(buffer, bit);
        }
      }
    },
  );

  it('follows useWasmPageKernel: off, its pages go through the JavaScript kernel, with the same answers', () => {
    const image = databaseImage(4096, 40);
    const buffer = allocateBackupBuffer(image.length);
    buffer.set(image);
    buffer[17 * 4096 + 999]! ^= 0x10;
    try {
      useWasmPageKernel(false);
      expect(ownPageKernel(buffer)).toBeNull();
      expect(findBadPage(buffer, 0, 4096)).toBe(17);
    } finally {
      useWasmPageKernel(true);
    }
    expect(ownPageKernel(buffer)).not.toBeNull();
    expect(findBadPage(buffer, 0, 4096)).toBe(17);
  });
});
