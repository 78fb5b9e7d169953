import { describe, expect, it } from 'vitest';
import { encodeLogRecord, LogOp } from '../../src/engine/log-record.js';
import { LogRecordWalker } from '../../src/backup/log-record-walker.js';
import { seeded } from './helpers.js';

/** A log image: a 4096-byte header (not the walker's business), `count` records, then `tail` zero bytes. */
function logImage(count: number, tail: number): { bytes: Uint8Array; starts: number[] } {
  const random = seeded(count);
  const records = Array.from({ length: count }, (_, i) =>
    encodeLogRecord({ op: LogOp.put, dbid: 1, lsn: i + 1, key: `key${i}`, value: random.fill(new Uint8Array(random.below(3000))) }),
  );
  const size = 4096 + records.reduce((n, r) => n + r.length, 0) + tail;
  const bytes = new Uint8Array(size);
  const starts: number[] = [];
  let at = 4096;
  for (const r of records) {
    starts.push(at);
    bytes.set(r, at);
    at += r.length;
  }
  return { bytes, starts };
}

function walk(bytes: Uint8Array, chunk: (i: number) => number = () => 65536) {
  const walker = new LogRecordWalker();
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = chunk(i);
    walker.feed(bytes.subarray(at, at + n));
    at += n;
  }
  return { problems: walker.finish(), records: walker.records, end: walker.end };
}

describe('LogRecordWalker', () => {
  it('walks every record and the zero tail whatever the chunk sizes', () => {
    const { bytes, starts } = logImage(40, 9000);
    const random = seeded(5);
    const end = bytes.length - 9000;
    expect(walk(bytes)).toEqual({ problems: [], records: 40, end });
    expect(walk(bytes, () => 1 + random.below(700))).toEqual({ problems: [], records: 40, end });
    expect(walk(bytes, () => 1).records).toBe(40);
    expect(starts[0]).toBe(4096);
  });

  it('places a flipped bit in the record that holds it, and in the tail page that holds it', () => {
    const { bytes, starts } = logImage(30, 20000);
    const random = seeded(11);
    const end = bytes.length - 20000;
    for (let round = 0; round < 200; round++) {
      const offset = 4096 + random.below(bytes.length - 4096);
      const bit = 1 << random.below(8);
      bytes[offset]! ^= bit;
      const { problems } = walk(bytes, () => 1 + random.below(5000));
      bytes[offset]! ^= bit;
      expect(problems, `offset ${offset}`).toHaveLength(1);
      if (offset < end) {
        const record = starts.filter((s) => s <= offset).at(-1)!;
        expect(problems[0]!.offset, `offset ${offset}`).toBe(record);
      } else if (offset < end + 4) {
        expect(problems[0]!.reason).toMatch(/bad record length|runs past/);
      } else {
        expect(problems[0]).toEqual({ offset, reason: `non-zero bytes after the last record (first at offset ${offset})` });
      }
    }
  });

  it('a record cut by the end of the file is damage; up to three zero bytes after the last record are not', () => {
    const { bytes, starts } = logImage(5, 0);
    expect(walk(bytes.subarray(0, bytes.length - 10)).problems).toEqual([
      { offset: starts[4], reason: `record at offset ${starts[4]} runs past the end of the log` },
    ]);
    const withStub = new Uint8Array(bytes.length + 3);
    withStub.set(bytes);
    expect(walk(withStub)).toEqual({ problems: [], records: 5, end: bytes.length });
  });
});
