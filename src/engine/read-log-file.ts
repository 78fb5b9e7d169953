import { Layout } from './engine-layout.js';
import { decodeLogFileHeader, type LogFileHeader } from './log-file-header.js';
import { checkLogRecord, decodeLogRecord, type LogRecord } from './log-record.js';

/** A parsed log file image. */
export interface ParsedLog {
  header: LogFileHeader;
  records: LogRecord[];
  /** Offset just past the last whole record. */
  end: number;
  /** Why parsing stopped early, when a record failed its checksum or length. */
  corrupt?: string;
}

/**
 * Parse a log image: the checksummed 4096-byte header, then records up to the zero-filled tail.
 * Returns undefined when the header does not verify. A corrupt record stops the walk and is reported:
 * fatal in a rolled log, a torn tail in the current one.
 */
export function parseLogFile(bytes: Uint8Array): ParsedLog | undefined {
  const header = decodeLogFileHeader(bytes);
  if (!header) return undefined;
  const records: LogRecord[] = [];
  let offset: number = Layout.headerSize;
  for (;;) {
    const r = decodeLogRecord(bytes, offset);
    if ('end' in r) return { header, records, end: offset };
    if ('corrupt' in r) {
      // A zero-filled tail after the last record is the normal end; anything else is damage.
      return { header, records, end: offset, corrupt: r.corrupt };
    }
    records.push(r.record);
    offset += r.size;
  }
}

/**
 * Verify a log image without decoding it (the backup read path): the header, then each record's length
 * and CRC up to the zero-filled tail. Returns undefined when sound, or why not.
 */
export function verifyLogImage(bytes: Uint8Array, generation: number): string | undefined {
  const header = decodeLogFileHeader(bytes);
  if (!header) return 'log header does not verify';
  if (header.generation !== generation) return `log header says generation ${header.generation}, expected ${generation}`;
  for (let offset: number = Layout.headerSize; ; ) {
    const r = checkLogRecord(bytes, offset);
    if (r === 0) return undefined;
    if (typeof r === 'string') return r;
    offset += r;
  }
}
