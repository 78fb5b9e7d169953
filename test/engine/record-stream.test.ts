// The record stream of a fuzzy copy: a record cut short at the copy's last (full) page must not swallow
// the records a restore's replay appends after it (seen in `npm start` at 128 MiB: every replayed row lost).
import { expect, it } from 'vitest';
import { NO_RECORD_START, PageField } from '../../src/engine/engine-layout.js';
import { encodeStreamRecord, RecordStreamParser, REC_HEADER } from '../../src/engine/record-stream.js';

const headerSize = 40;
const areaSize = 256;

/** A data page holding `bytes` at the start of its area, `first` = where its first record starts. */
function page(bytes: Uint8Array, first: number): Uint8Array {
  const p = new Uint8Array(headerSize + areaSize);
  const v = new DataView(p.buffer);
  v.setUint32(PageField.flags, 1, true);
  v.setUint16(PageField.ibMicFree, bytes.length, true);
  v.setUint16(PageField.itagMicFree, first, true);
  p.set(bytes, headerSize);
  return p;
}

const rec = (key: string, size: number) => encodeStreamRecord(1, 7, key, new Uint8Array(size - REC_HEADER - key.length).fill(9));

it('a record cut short at a full page is dropped when the next page starts a record at 0; what follows parses', () => {
  const a = rec('a', 100);
  const cut = rec('cut', 400); // 156 bytes of it fit on page 1; the rest was never copied
  const b = rec('b', 120);
  const c = rec('c', 100);
  const page1 = new Uint8Array(areaSize);
  page1.set(a, 0);
  page1.set(cut.subarray(0, areaSize - a.length), a.length);
  const page2 = new Uint8Array(b.length + c.length);
  page2.set(b, 0);
  page2.set(c, b.length);
  const keys: string[] = [];
  const parser = new RecordStreamParser(headerSize, areaSize, (r) => keys.push(r.key));
  parser.page(page(page1, 0), 1);
  parser.page(page(page2, 0), 2);
  expect(keys).toEqual(['a', 'b', 'c']);
  expect(parser.streamEnd).toBe(areaSize + b.length + c.length);
});

it('a record continued onto the next page is still joined, the next record starting after it', () => {
  const long = rec('long', 300); // 256 on page 1, 44 on page 2
  const d = rec('d', 60);
  const page2 = new Uint8Array(44 + d.length);
  page2.set(long.subarray(areaSize), 0);
  page2.set(d, 44);
  const keys: string[] = [];
  const parser = new RecordStreamParser(headerSize, areaSize, (r) => keys.push(r.key));
  parser.page(page(long.subarray(0, areaSize), 0), 1);
  parser.page(page(page2, 44), 2);
  expect(keys).toEqual(['long', 'd']);
  // A page that is all continuation names no record start.
  const keys2: string[] = [];
  const p2 = new RecordStreamParser(headerSize, areaSize, (r) => keys2.push(r.key));
  const big = rec('big', 600);
  p2.page(page(big.subarray(0, areaSize), 0), 1);
  p2.page(page(big.subarray(areaSize, 2 * areaSize), NO_RECORD_START), 2);
  p2.page(page(big.subarray(2 * areaSize), NO_RECORD_START), 3);
  expect(keys2).toEqual(['big']);
});
