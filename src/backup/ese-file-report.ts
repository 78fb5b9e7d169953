import type { EseFileHeader } from '../engine/format/ese-file-header.js';
import type { EseFileTypeName } from '../engine/format/ese-format.js';
import type { EseBadPage } from '../engine/format/verify-ese-bytes.js';

/**
 * What verifying one ESE file found: its type and header fields, its pages, and every problem with
 * the file page index it lies in (`pgno` for data pages of a database).
 *
 * ESE rule (reference §6): page `i` lies at `i × pageSize`; pages 0 and 1 of a database are the header
 * and its shadow, data page `pgno = i − 1`; logs and checkpoints are counted in 4096-byte units.
 */
export interface EseFileReport {
  fileType: EseFileTypeName | 'unknown';
  /** Bytes of the file (unpacked, for a `.gz`). */
  bytes: number;
  /** Database page size; the 4096-byte unit that `pages` counts for logs and checkpoints. */
  pageSize: number;
  /** Whole pages (header, shadow and trailer included). */
  pages: number;
  /** Data pages that are not all zero (headers, shadows and trailers excluded). */
  pagesWithContent: number;
  /** A database copy as `JetReadFileInstance` streams it: its last page is a trailer. */
  streamed: boolean;
  /** Header fields (database: state, page size; log: generation, sector size; checkpoint: generation); `undefined` for a file too short to hold one. */
  header: EseFileHeader | undefined;
  /** Where `header` was read: 0 the header, 1 its shadow (page 0 damaged). */
  headerIndex: 0 | 1;
  /**
   * A streamed database copy: its trailer page read as a header (the embedded engine writes a
   * DBFILEHDR there with `signLog` and the generations a replay needs; ESE writes a PATCHHDR, which
   * reads as an `unknown` header). `undefined` for anything else.
   */
  trailer?: EseFileHeader;
  /** Logs written by the embedded engine: records whose CRC-32 verified, and where the zero tail begins. */
  logRecords?: { records: number; end: number };
  /** Every problem, in file order; empty when the file verifies. */
  badPages: EseBadPage[];
  ok: boolean;
}

/** One problem in a file: its file page index, its pgno for a database data page, and why. */
export type { EseBadPage };
