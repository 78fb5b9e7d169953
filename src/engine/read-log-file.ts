import { Layout } from './engine-layout.js';
import { decodeLogFileHeader, type LogFileHeader } from './log-file-header.js';
import { decodeLogRecord, type LogRecord } from './log-record.js';

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
