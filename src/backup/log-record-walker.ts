import { crc32 } from 'node:zlib';
import { ESE_FILE_HEADER_SIZE } from '../engine/format/ese-format.js';
import { LogOp, RECORD_PREFIX } from '../engine/log-record.js';

/** Bytes of a record's body header (op, dbid, keyLen, lsn): the smallest record is the prefix plus these. */
const MIN_RECORD = RECORD_PREFIX + 12;
const OPS = new Set<number>(Object.values(LogOp));

/** A damaged spot in a log: `offset` is where the damaged record (or non-zero tail byte) starts. */
export interface LogRecordProblem {
  offset: number;
  reason: string;
}

/**
 * Walks the records of a log written by the embedded engine as its bytes stream past, checking each
 * record's length and CRC-32, then that the unused tail after the last record is all zero (the engine
 * preallocates a log with zeros), so a flipped bit anywhere after the 4096-byte header is found.
 *
 * ESE rule: a log record that fails its checksum answers `JET_errLogReadVerifyFailure` (-612); the
 * walk cannot find record boundaries after a damaged length, so it stops at the first damaged record
 * but still reports every non-zero page of a damaged tail.
 *
 * @example
 * const walker = new LogRecordWalker();
 * for await (const chunk of chunks) walker.feed(chunk);
 * const problems = walker.finish();
 */
export class LogRecordWalker {
  /** Whole records whose CRC-32 verified. */
  records = 0;
  /** Offset just past the last whole record (where the zero tail starts). */
  end = ESE_FILE_HEADER_SIZE;
  private readonly problems: LogRecordProblem[] = [];
  private pos = 0;
  private readonly prefix = new Uint8Array(RECORD_PREFIX);
  private prefixFill = 0;
  private bodyLeft = 0;
  private op = -1;
  private crc = 0;
  private recordStart = ESE_FILE_HEADER_SIZE;
  private state: 'prefix' | 'body' | 'tail' | 'broken' = 'prefix';
  private lastTailPage = -1;

  /** Feed the next bytes of the log file (from offset 0, header included, in order). */
  feed(chunk: Uint8Array): void {
    let i = Math.max(0, Math.min(chunk.length, ESE_FILE_HEADER_SIZE - this.pos));
    this.pos += i;
    while (i < chunk.length && this.state !== 'broken') {
      if (this.state === 'tail') {
        const at = firstNonZero(chunk, i);
        this.pos += at - i;
        i = at;
        if (i === chunk.length) break;
        const page = Math.floor(this.pos / ESE_FILE_HEADER_SIZE);
        if (page !== this.lastTailPage)
          this.problems.push({ offset: this.pos, reason: `non-zero bytes after the last record (first at offset ${this.pos})` });
        this.lastTailPage = page;
        // One problem per page places the damage: skip to the next page.
        const skip = Math.min(chunk.length - i, (page + 1) * ESE_FILE_HEADER_SIZE - this.pos);
        this.pos += skip;
        i += skip;
        continue;
      }
      if (this.state === 'prefix') {
        if (this.prefixFill === 0) this.recordStart = this.pos;
        // The length first (4 bytes): a zero length is the start of the zero tail, not a record.
        const want = this.prefixFill < 4 ? 4 : RECORD_PREFIX;
        const take = Math.min(want - this.prefixFill, chunk.length - i);
        this.prefix.set(chunk.subarray(i, i + take), this.prefixFill);
        this.prefixFill += take;
        this.pos += take;
        i += take;
        if (this.prefixFill < want) continue;
        if (want === 4) {
          const total = readU32(this.prefix, 0);
          if (total === 0) {
            this.state = 'tail';
            this.end = this.recordStart;
            this.prefixFill = 0;
          } else if (total < MIN_RECORD) {
            return this.fail(`bad record length ${total} at offset ${this.recordStart}`);
          }
          continue;
        }
        this.bodyLeft = readU32(this.prefix, 0) - RECORD_PREFIX;
        this.crc = 0;
        this.op = -1;
        this.state = 'body';
        continue;
      }
      const take = Math.min(this.bodyLeft, chunk.length - i);
      if (this.op < 0) this.op = chunk[i]!;
      this.crc = crc32(chunk.subarray(i, i + take), this.crc);
      this.bodyLeft -= take;
      this.pos += take;
      i += take;
      if (this.bodyLeft > 0) continue;
      const length = readU32(this.prefix, 0);
      if (this.crc !== readU32(this.prefix, 4)) return this.fail(`record at offset ${this.recordStart} (${length} bytes) fails its CRC-32`);
      if (!OPS.has(this.op)) return this.fail(`record at offset ${this.recordStart} has unknown type ${this.op}`);
      this.records++;
      this.end = this.pos;
      this.prefixFill = 0;
      this.state = 'prefix';
    }
  }

  /** At the end of the file: every problem found, a record cut short by the end of the log included. */
  finish(): LogRecordProblem[] {
    // Fewer than 4 bytes left after the last record, all zero: the end of the records, not a cut one.
    const zeroStub = this.state === 'prefix' && this.prefixFill < 4 && this.prefix.subarray(0, this.prefixFill).every((b) => b === 0);
    if (zeroStub && this.prefixFill > 0) this.end = this.recordStart;
    else if (this.state === 'body' || (this.state === 'prefix' && this.prefixFill > 0)) {
      this.fail(`record at offset ${this.recordStart} runs past the end of the log`);
    }
    return [...this.problems].sort((a, b) => a.offset - b.offset);
  }

  private fail(reason: string): void {
    this.problems.push({ offset: this.recordStart, reason });
    this.state = 'broken';
  }
}

const ZEROS = Buffer.alloc(ESE_FILE_HEADER_SIZE);

/** The index of the first non-zero byte of `bytes` from `from` on, or `bytes.length`: memcmp a page at a time (a log is mostly zero tail). */
function firstNonZero(bytes: Uint8Array, from: number): number {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = from;
  while (at < bytes.length) {
    const end = Math.min(bytes.length, at + ZEROS.length);
    if (ZEROS.compare(view, at, end, 0, end - at) !== 0) break;
    at = end;
  }
  while (at < bytes.length && bytes[at] === 0) at++;
  return at;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}
