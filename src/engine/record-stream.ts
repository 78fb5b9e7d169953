import { NO_RECORD_START, PageField } from './engine-layout.js';

/**
 * The embedded engine keeps a database as a stream of records laid across the record areas of its
 * data pages, in pgno order. A record is [len u32][op u8][0][keyLen u16][lsn f64][key][value]; it may
 * span pages; a record never starts in the last 16 bytes of an area (they are padding).
 * Each page says how many area bytes are in use (ibMicFree) and where the first record that starts
 * on it begins (itagMicFree), so a fuzzy copy — pages taken at different moments — can be parsed:
 * a record cut short by a page copied before the rest was written is skipped, and parsing resumes at
 * the next page's first record. Such records are in the logs a backup copies.
 */
export const REC_HEADER = 16;

export interface StreamRecord {
  op: number;
  lsn: number;
  key: string;
  value: Uint8Array;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Encode one stream record. */
export function encodeStreamRecord(op: number, lsn: number, key: string, value: Uint8Array): Uint8Array {
  const k = encoder.encode(key);
  const out = new Uint8Array(REC_HEADER + k.length + value.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length, true);
  out[4] = op;
  v.setUint16(6, k.length, true);
  v.setFloat64(8, lsn, true);
  out.set(k, REC_HEADER);
  out.set(value, REC_HEADER + k.length);
  return out;
}

function decode(bytes: Uint8Array): StreamRecord {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const keyLen = v.getUint16(6, true);
  return {
    op: bytes[4] as number,
    lsn: v.getFloat64(8, true),
    key: decoder.decode(bytes.subarray(REC_HEADER, REC_HEADER + keyLen)),
    value: new Uint8Array(bytes.subarray(REC_HEADER + keyLen)), // a copy: `bytes` may be a reused read buffer
  };
}

/** Parses pages fed in pgno order; calls `emit` for every whole record. Returns the stream end. */
export class RecordStreamParser {
  private rec: Uint8Array | undefined;
  private fill = 0;
  private prevFull = false;
  private lastEnd = 0;

  constructor(
    private readonly headerSize: number,
    private readonly areaSize: number,
    private readonly emit: (r: StreamRecord) => void,
  ) {}

  /** Feed data page `pgno` (1-based, consecutive from 1). */
  page(page: Uint8Array, pgno: number): void {
    const v = new DataView(page.buffer, page.byteOffset, page.byteLength);
    const area = page.subarray(this.headerSize, this.headerSize + this.areaSize);
    const blank = v.getUint32(PageField.flags, true) === 0; // never written (all zero)
    const used = blank ? 0 : v.getUint16(PageField.ibMicFree, true);
    const first = blank ? NO_RECORD_START : v.getUint16(PageField.itagMicFree, true);
    if (used > this.areaSize) throw new Error(`page ${pgno}: ${used} bytes in use of ${this.areaSize}`);
    let p: number;
    if (this.rec && this.prevFull && first !== NO_RECORD_START && first < Math.min(this.rec.length - this.fill, used)) {
      // A record starts where this one's continuation would be: the record was cut short where the
      // previous page ended (a fuzzy copy's last page, taken as a record started on it, with a restore's
      // replay appending after it). Gluing the two would misparse every record that follows.
      this.rec = undefined;
      p = first;
    } else if (this.rec && this.prevFull) {
      const take = Math.min(this.rec.length - this.fill, used);
      this.rec.set(area.subarray(0, take), this.fill);
      this.fill += take;
      p = take;
      if (this.fill === this.rec.length) {
        this.emit(decode(this.rec));
        this.rec = undefined;
      } else if (used < this.areaSize) {
        this.rec = undefined; // cut short in this copy
      }
      if (!this.rec && first !== NO_RECORD_START && first !== p && p < used) p = first;
    } else {
      this.rec = undefined;
      p = first === NO_RECORD_START ? used : first;
    }
    while (p < used && this.areaSize - p >= REC_HEADER && !this.rec) {
      const len = new DataView(area.buffer, area.byteOffset + p, 4).getUint32(0, true);
      if (len === 0) break; // padding
      if (len < REC_HEADER) throw new Error(`page ${pgno}: record of ${len} bytes at ${p}`);
      if (p + len <= used) {
        this.emit(decode(area.subarray(p, p + len)));
        p += len;
      } else {
        this.rec = new Uint8Array(len);
        this.rec.set(area.subarray(p, used), 0);
        this.fill = used - p;
        p = used;
        if (used < this.areaSize) this.rec = undefined;
      }
    }
    this.prevFull = used === this.areaSize;
    if (used > 0) this.lastEnd = (pgno - 1) * this.areaSize + used;
  }

  /** Where the next record goes: after the last byte in use. */
  get streamEnd(): number {
    return this.lastEnd;
  }
}
