import { crc32 } from 'node:zlib';
import { Layout } from './engine-layout.js';
import { decodeLogFileHeader } from './log-file-header.js';
import { RECORD_PREFIX } from './log-record.js';

const MIN_RECORD = RECORD_PREFIX + 12;

/**
 * Verifies a log as a backup streams it, chunk by chunk, with no copy of the file: the 4096-byte header,
 * then each record's length and CRC (carried across chunk boundaries), up to the zero-filled tail.
 * `feed` answers why the log is damaged, at the read that reaches the damage, as ESE does.
 */
export class LogStreamVerifier {
  private pos = 0;
  private readonly header = new Uint8Array(Layout.headerSize);
  private readonly prefix = new Uint8Array(RECORD_PREFIX);
  private prefixFill = 0;
  private bodyLeft = 0;
  private crc = 0;
  private ended = false;

  constructor(private readonly generation: number) {}

  /** Feed the next chunk of the file; returns a problem, or undefined while the log is sound. */
  feed(chunk: Uint8Array): string | undefined {
    let i = 0;
    while (i < chunk.length && !this.ended) {
      if (this.pos < Layout.headerSize) {
        const take = Math.min(Layout.headerSize - this.pos, chunk.length - i);
        this.header.set(chunk.subarray(i, i + take), this.pos);
        this.pos += take;
        i += take;
        if (this.pos === Layout.headerSize) {
          const h = decodeLogFileHeader(this.header);
          if (!h) return 'log header does not verify';
          if (h.generation !== this.generation) return `log header says generation ${h.generation}, expected ${this.generation}`;
        }
        continue;
      }
      if (this.bodyLeft === 0) {
        const take = Math.min(RECORD_PREFIX - this.prefixFill, chunk.length - i);
        this.prefix.set(chunk.subarray(i, i + take), this.prefixFill);
        this.prefixFill += take;
        this.pos += take;
        i += take;
        if (this.prefixFill < 4) continue;
        const view = new DataView(this.prefix.buffer);
        const total = view.getUint32(0, true);
        if (total === 0) {
          this.ended = true; // the zero-filled tail: no more records
          break;
        }
        if (total < MIN_RECORD) return `bad record length ${total} at ${this.pos - this.prefixFill}`;
        if (this.prefixFill < RECORD_PREFIX) continue;
        this.bodyLeft = total - RECORD_PREFIX;
        this.crc = 0;
        continue;
      }
      const take = Math.min(this.bodyLeft, chunk.length - i);
      this.crc = crc32(chunk.subarray(i, i + take), this.crc);
      this.bodyLeft -= take;
      this.pos += take;
      i += take;
      if (this.bodyLeft === 0) {
        if (this.crc !== new DataView(this.prefix.buffer).getUint32(4, true)) return `record checksum mismatch before offset ${this.pos}`;
        this.prefixFill = 0;
      }
    }
    return undefined;
  }

  /** At end of file: a record cut short by the end of the log is damage. */
  finish(): string | undefined {
    if (this.pos < Layout.headerSize) return 'log shorter than its header';
    if (!this.ended && (this.bodyLeft > 0 || this.prefixFill > 0)) return 'the last record runs past the end of the log';
    return undefined;
  }
}
