import { describe, expect, it } from 'vitest';
import { ESE_PAGE_SIZES } from '../../../src/engine/format/ese-format.js';
import { verifyEseBytes } from '../../../src/engine/format/verify-ese-bytes.js';
import { databaseImage } from './database-image.js';
import { goodDatabases, misaligned, readEseReal, seeded } from './ese-fixtures.js';

describe('verifyEseBytes on real Windows databases', () => {
  it.each(goodDatabases)('%s: %i-byte pages, state %i, %i pages with content, all verify', (name, pageSize, state, content) => {
    const bytes = readEseReal(name);
    const report = verifyEseBytes(bytes);
    expect(report).toMatchObject({
      fileType: 'database',
      pageSize,
      pages: bytes.length / pageSize,
      pagesWithContent: content,
      badPages: [],
      ok: true,
      headerIndex: 0,
    });
    expect(report.header).toMatchObject({ state, checksumOk: true });
    expect(verifyEseBytes(misaligned(bytes)).badPages).toEqual([]);
  });

  it.each(goodDatabases)('%s: a flipped bit in a content page, the header or the shadow is reported with its page', (name, pageSize) => {
    const bytes = readEseReal(name).slice();
    const random = seeded(pageSize + bytes.length);
    const contentPages = [...Array(bytes.length / pageSize).keys()].filter(
      (i) => i >= 2 && bytes.subarray(i * pageSize, (i + 1) * pageSize).some((b) => b !== 0),
    );
    const targets = [0, 1, ...Array.from({ length: 20 }, () => contentPages[random.below(contentPages.length)]!)];
    for (const index of targets) {
      const byte = index * pageSize + random.below(pageSize);
      const mask = 1 << random.below(8);
      bytes[byte]! ^= mask;
      const report = verifyEseBytes(bytes);
      expect(report.badPages.map((bad) => [bad.index, bad.pgno])).toEqual([[index, index >= 2 ? index - 1 : null]]);
      // A damaged header does not hide the rest: the page size and fields come from the shadow.
      expect(report).toMatchObject({ pageSize, headerIndex: index === 0 ? 1 : 0 });
      bytes[byte]! ^= mask;
    }
  });

  it('museum_w2012r2_ntds_temp.edb: header and shadow verify, no data page does (27 store checksum 0, 207 stale)', () => {
    const bytes = readEseReal('museum_w2012r2_ntds_temp.edb');
    const report = verifyEseBytes(bytes);
    expect(report).toMatchObject({ fileType: 'database', pageSize: 8192, pages: 258, pagesWithContent: 234, ok: false });
    expect(report.header).toMatchObject({ state: 1, stateName: 'justCreated', checksumOk: true });
    expect(report.badPages.some((bad) => bad.index < 2)).toBe(false);
    expect(report.badPages).toHaveLength(234);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const storedZero = report.badPages.filter(
      (bad) => view.getUint32(bad.index * 8192, true) === 0 && view.getUint32(bad.index * 8192 + 4, true) === 0,
    );
    expect(storedZero).toHaveLength(27);
    expect(report.badPages.length - storedZero.length).toBe(207);
    expect(report.badPages.every((bad) => bad.pgno === bad.index - 1)).toBe(true);
  });
});

describe('verifyEseBytes on logs and checkpoints', () => {
  it.each([
    ['museum_win10_rathbunvm_clean_SRU.log', 'log', 9],
    ['museum_win10_rathbunvm_clean_SRU00008.log', 'log', 8],
    ['museum_win10_rathbunvm_clean_SRU.chk', 'checkpoint', 9],
    ['museum_w2012r2_ntds_edb.chk', 'checkpoint', 3],
  ] as const)('%s: %s header verifies (generation %i)', (name, fileType, generation) => {
    const bytes = readEseReal(name).slice();
    const report = verifyEseBytes(bytes);
    expect(report).toMatchObject({ fileType, pageSize: 4096, pages: bytes.length / 4096, ok: true, header: { generation } });
    bytes[2000]! ^= 4;
    expect(verifyEseBytes(bytes).badPages).toEqual([{ index: 0, pgno: null, reason: `${fileType} header checksum mismatch` }]);
  });

  it('reports a checkpoint whose shadow copy is damaged', () => {
    const bytes = readEseReal('museum_w2012r2_ntds_edb.chk').slice();
    bytes[4096 + 700]! ^= 1;
    expect(verifyEseBytes(bytes).badPages).toEqual([{ index: 1, pgno: null, reason: 'checkpoint shadow checksum mismatch' }]);
  });
});

describe('verifyEseBytes on synthetic images', () => {
  it.each(ESE_PAGE_SIZES)('%i-byte pages: lists every bad page, not just the first', (pageSize) => {
    const bytes = databaseImage(pageSize, 12);
    expect(verifyEseBytes(bytes)).toMatchObject({ ok: true, pagesWithContent: 10 });
    for (const index of [1, 4, 13]) bytes[index * pageSize + 77]! ^= 0x80;
    expect(verifyEseBytes(bytes).badPages.map((bad) => bad.index)).toEqual([1, 4, 13]);
  });

  it('checks the trailer of a streamed copy in header format', () => {
    const bytes = databaseImage(4096, 6, { streamed: true });
    const last = bytes.length / 4096 - 1;
    expect(verifyEseBytes(bytes, { streamed: true })).toMatchObject({ ok: true, pages: last + 1, pagesWithContent: 5 });
    expect(verifyEseBytes(bytes).badPages.map((bad) => bad.index)).toEqual([last]);
    bytes[last * 4096 + 999]! ^= 2;
    expect(verifyEseBytes(bytes, { streamed: true }).badPages).toEqual([{ index: last, pgno: null, reason: 'trailer checksum mismatch' }]);
  });

  it('reports a partial last page and refuses images shorter than a header', () => {
    const bytes = databaseImage(4096, 3);
    const report = verifyEseBytes(bytes.subarray(0, bytes.length - 100));
    expect(report.badPages).toEqual([{ index: 4, pgno: null, reason: 'partial page: 3996 bytes after the last whole page' }]);
    expect(() => verifyEseBytes(new Uint8Array(10))).toThrow(RangeError);
  });
});
