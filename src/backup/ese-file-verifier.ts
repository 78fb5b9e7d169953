import { dataPageFault, describePageFault, isZero, PageFault } from '../engine/format/data-page-fault.js';
import { ESE_FILE_HEADER_SIZE, ESE_PAGE_SIZES, ESE_SIGNATURE, EseFileType, EseOffset } from '../engine/format/ese-format.js';
import { findBadPage } from '../engine/format/find-bad-page.js';
import { readEseFileHeader, type EseFileHeader } from '../engine/format/ese-file-header.js';
import { headerXor } from '../engine/format/header-checksum.js';
import { verifyEseBytes } from '../engine/format/verify-ese-bytes.js';
import { copyWords, HOST_IS_LITTLE_ENDIAN, readU32, wordsOf } from '../engine/format/word-view.js';
import { decodeLogFileHeader } from '../engine/log-file-header.js';
import type { EseFileReport } from './ese-file-report.js';
import { LogRecordWalker } from './log-record-walker.js';

/** Page sizes the engine's `findBadPage` takes. */
const FAST_PAGE_SIZES = new Set<number>(ESE_PAGE_SIZES);

/** Enough bytes to hold a header and its shadow at the largest page size (2 × 32 KiB). */
const HEAD_BYTES = 65536;

/**
 * The WebAssembly page kernel's verdict on a run of data pages, taken on another thread: every file
 * page index in `[from, to)` that is not in `rejected` (ascending) was accepted by the kernel. As in
 * `findBadPage`, only acceptances are final: a rejected page is checked again by the JavaScript kernel.
 */
export interface DataPageVerdict {
  from: number;
  to: number;
  rejected: number[];
}

/** Options of {@link EseFileVerifier}. */
export interface EseFileVerifierOptions {
  /**
   * Whether a database image ends with a trailer page, as `JetReadFileInstance` streams it: `true`,
   * `false`, or `'auto'` (default): the last page is a trailer when it reads as a database header.
   */
  streamed?: boolean | 'auto';
}

/**
 * Verifies an ESE file as its bytes stream past, in chunks of any size, without holding the file:
 * every page of a database, the header (and shadow) of a log or checkpoint, and the records of a log
 * the embedded engine wrote. `finish()` lists every problem, each with its file page index.
 *
 * ESE rule (reference §6): header, shadow and trailer pages carry the seeded XOR checksum; data page
 * `pgno = index − 1` its XOR/ECC checksum (all-zero pages are valid); log and checkpoint headers the
 * seeded XOR over their first 4096 bytes. The checks are the engine's own (`verifyEseBytes`,
 * `dataPageFault`), applied page by page.
 *
 * @example
 * const v = new EseFileVerifier({ streamed: true });
 * for await (const chunk of readFileChunks(file)) v.push(chunk);
 * const report = v.finish(); // report.badPages: [{ index, pgno, reason }]
 */
export class EseFileVerifier {
  private readonly streamed: boolean | 'auto';
  private head: Uint8Array | undefined = new Uint8Array(HEAD_BYTES);
  private headFill = 0;
  private bytes = 0;
  private report: Omit<EseFileReport, 'ok' | 'bytes' | 'streamed'> | undefined;
  private pageSize = ESE_FILE_HEADER_SIZE;
  private carry = new Uint8Array(0);
  private carryFill = 0;
  private held = new Uint8Array(0);
  private hasHeld = false;
  private nextIndex = 0;
  private walker: LogRecordWalker | undefined;
  /** The kernel's verdict on the chunk being pushed, if another thread took one. */
  private verdict: DataPageVerdict | undefined;

  constructor(options: EseFileVerifierOptions = {}) {
    this.streamed = options.streamed ?? 'auto';
  }

  /**
   * The page size of the file's data pages once the header was read, if the file is a database whose
   * data pages the engine's `findBadPage` checks: a {@link DataPageVerdict} on later chunks may be taken.
   */
  get dataPageSize(): number | undefined {
    const r = this.report;
    return r?.fileType === 'database' && FAST_PAGE_SIZES.has(this.pageSize) ? this.pageSize : undefined;
  }

  /**
   * Feed the next bytes of the file, in order from offset 0. The chunk may be reused once this returns.
   * `verdict`: the page kernel's verdict on this chunk's data pages, taken on another thread (same answers).
   */
  push(chunk: Uint8Array, verdict?: DataPageVerdict): void {
    this.verdict = verdict;
    try {
      this.pushBytes(chunk);
    } finally {
      this.verdict = undefined;
    }
  }

  private pushBytes(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.head) {
      const take = Math.min(HEAD_BYTES - this.headFill, chunk.length);
      this.head.set(chunk.subarray(0, take), this.headFill);
      this.headFill += take;
      if (this.headFill < HEAD_BYTES) return;
      this.start();
      chunk = chunk.subarray(take);
    }
    this.consume(chunk);
  }

  /** At the end of the file: the report, every problem in file order. */
  finish(): EseFileReport {
    if (this.head) {
      if (this.headFill < ESE_FILE_HEADER_SIZE) {
        const reason = `the file is ${this.headFill} bytes: shorter than an ESE header (${ESE_FILE_HEADER_SIZE})`;
        const badPages = [{ index: 0, pgno: null, reason }];
        return {
          fileType: 'unknown',
          bytes: this.bytes,
          pageSize: ESE_FILE_HEADER_SIZE,
          pages: 0,
          pagesWithContent: 0,
          streamed: false,
          header: undefined,
          headerIndex: 0,
          badPages,
          ok: false,
        };
      }
      this.start();
    }
    const r = this.report!;
    let streamed = false;
    let trailer: EseFileHeader | undefined;
    if (this.hasHeld) {
      const index = this.nextIndex - 1;
      const looksLikeTrailer =
        readU32(this.held, EseOffset.fileType) === EseFileType.database && readU32(this.held, EseOffset.dbSignature) === ESE_SIGNATURE;
      streamed = r.fileType === 'database' && index >= 2 && (this.streamed === true || (this.streamed === 'auto' && looksLikeTrailer));
      this.check(this.held, index, streamed);
      if (streamed) trailer = trailerHeader(this.held);
    }
    if (r.fileType === 'database' && this.streamed === true && !streamed) {
      r.badPages.push({ index: this.nextIndex, pgno: null, reason: 'trailer page missing' });
    }
    if (this.carryFill > 0) {
      r.badPages.push({ index: this.nextIndex, pgno: null, reason: `partial page: ${this.carryFill} bytes after the last whole page` });
    }
    this.finishLog(r);
    r.badPages.sort((a, b) => a.index - b.index);
    return { ...r, bytes: this.bytes, streamed, ...(trailer ? { trailer } : {}), ok: r.badPages.length === 0 };
  }

  /** Reads the header (page 0, or its shadow when page 0 is damaged) from the head, then checks the head's pages. */
  private start(): void {
    const head = this.head!.subarray(0, this.headFill);
    this.head = undefined;
    const { fileType, header, headerIndex, pageSize } = verifyEseBytes(head);
    this.pageSize = pageSize;
    this.carry = new Uint8Array(pageSize);
    this.held = new Uint8Array(pageSize);
    this.report = { fileType, pageSize, pages: 0, pagesWithContent: 0, header, headerIndex, badPages: [] };
    if (fileType === 'log' && decodeLogFileHeader(head)) this.walker = new LogRecordWalker();
    this.consume(head);
  }

  private consume(chunk: Uint8Array): void {
    this.walker?.feed(chunk);
    const P = this.pageSize;
    let off = 0;
    if (this.carryFill > 0) {
      off = Math.min(P - this.carryFill, chunk.length);
      this.carry.set(chunk.subarray(0, off), this.carryFill);
      this.carryFill += off;
      if (this.carryFill < P) return;
      this.pages(this.carry);
      this.carryFill = 0;
    }
    const whole = Math.floor((chunk.length - off) / P) * P;
    if (whole > 0) this.pages(chunk.subarray(off, off + whole));
    this.carry.set(chunk.subarray(off + whole), 0);
    this.carryFill = chunk.length - off - whole;
  }

  /** Whole pages: the last one is held back, since only the end of the file tells whether it is a trailer. */
  private pages(buffer: Uint8Array): void {
    const P = this.pageSize;
    const count = P >>> 2;
    const n = buffer.length / P;
    if (this.hasHeld) this.check(this.held, this.nextIndex - 1, false);
    if (n > 1 && HOST_IS_LITTLE_ENDIAN && (buffer.byteOffset & 3) === 0) {
      // The hot path: one word view over the run, no allocation per page.
      const words = new Int32Array(buffer.buffer, buffer.byteOffset, (n - 1) * count);
      if (this.report!.fileType === 'database' && this.nextIndex >= 2 && FAST_PAGE_SIZES.has(P))
        this.dataPages(buffer.subarray(0, (n - 1) * P), words);
      else for (let i = 0; i < n - 1; i++) this.checkWords(words, i * count, this.nextIndex + i, false);
    } else {
      for (let i = 0; i < n - 1; i++) this.checkWords(copyWords(buffer, i * P, P), 0, this.nextIndex + i, false);
    }
    this.held.set(buffer.subarray((n - 1) * P));
    this.hasHeld = true;
    this.nextIndex += n;
  }

  /**
   * Data pages only (no header, shadow or trailer), `words` a view of `run`: the engine's own
   * `findBadPage` checks the run; a page it stops at is checked again here to say what is wrong, and
   * the run goes on after it. Every page is counted, and those with content.
   */
  private dataPages(run: Uint8Array, words: Int32Array): void {
    const P = this.pageSize;
    const count = P >>> 2;
    const r = this.report!;
    const pages = run.length / P;
    const v = this.verdict;
    if (v && v.from <= this.nextIndex && this.nextIndex + pages <= v.to) {
      // Checked on another thread: count the accepted pages, check the rejected ones here.
      let i = 0;
      for (const at of v.rejected) {
        const k = at - this.nextIndex;
        if (k < i) continue;
        if (k >= pages) break;
        r.pages += k - i;
        this.countContent(words, i, k);
        this.checkWords(words, k * count, at, false);
        i = k + 1;
      }
      r.pages += pages - i;
      this.countContent(words, i, pages);
      return;
    }
    for (let i = 0; i < pages;) {
      const bad = findBadPage(run.subarray(i * P), this.nextIndex + i, P);
      const good = bad < 0 ? pages : i + bad;
      r.pages += good - i;
      this.countContent(words, i, good);
      if (good === pages) return;
      this.checkWords(words, good * count, this.nextIndex + good, false);
      i = good + 1;
    }
  }

  /** Counts the pages with content among run pages `[from, to)` of `words`. */
  private countContent(words: Int32Array, from: number, to: number): void {
    const count = this.pageSize >>> 2;
    const r = this.report!;
    for (let k = from; k < to; k++) {
      const start = k * count;
      if (words[start] !== 0 || words[start + 1] !== 0 || !isZero(words, start, count)) r.pagesWithContent++;
    }
  }

  private check(page: Uint8Array, index: number, trailer: boolean): void {
    this.checkWords(wordsOf(page, 0, this.pageSize), 0, index, trailer);
  }

  /** Checks file page `index`, found at `words[start .. start + pageSize / 4)`. */
  private checkWords(words: Int32Array, start: number, index: number, trailer: boolean): void {
    const r = this.report!;
    const count = this.pageSize >>> 2;
    r.pages++;
    if (r.fileType === 'database') {
      if (index >= 2 && !trailer) {
        // A data page: an unwritten page is all zero, a written one starts with its (non-zero) checksum.
        if (words[start] !== 0 || words[start + 1] !== 0 || !isZero(words, start, count)) r.pagesWithContent++;
        const fault = dataPageFault(words, start, count, index - 1);
        if (fault !== PageFault.none) this.bad(index, describePageFault(fault), index - 1);
        return;
      }
      if (!this.headerOk(words, start))
        this.bad(index, `${trailer ? 'trailer' : index === 0 ? 'header' : 'shadow header'} checksum mismatch`);
      if (index === 0 && r.headerIndex === 0 && words[start + (EseOffset.dbSignature >>> 2)]! >>> 0 !== ESE_SIGNATURE)
        this.bad(index, 'header signature is not 0x89ABCDEF');
      return;
    }
    if (index === 0) {
      if (!this.headerOk(words, start))
        this.bad(index, `${r.fileType === 'unknown' ? 'header' : `${r.fileType} header`} checksum mismatch`);
      if (r.fileType === 'unknown') this.bad(index, `unknown file type ${r.header?.fileTypeCode} at offset 667`);
      return;
    }
    if (r.fileType === 'checkpoint' && index === 1 && !this.headerOk(words, start)) this.bad(index, 'checkpoint shadow checksum mismatch');
    if (words[start] !== 0 || !isZero(words, start, count)) r.pagesWithContent++;
  }

  private headerOk(words: Int32Array, start: number): boolean {
    return headerXor(words, start, this.pageSize >>> 2) === words[start]! >>> 0;
  }

  private bad(index: number, reason: string, pgno: number | null = null): void {
    this.report!.badPages.push({ index, pgno, reason });
  }

  /** Log-wide checks: the size the header announces, and (logs of the embedded engine) every record. */
  private finishLog(r: Omit<EseFileReport, 'ok' | 'bytes' | 'streamed'>): void {
    const h = r.header;
    if (h?.fileType === 'log' && h.checksumOk && h.fileSectors > 0 && h.fileSectors * h.sectorSize !== this.bytes) {
      r.badPages.push({
        index: Math.floor(this.bytes / ESE_FILE_HEADER_SIZE),
        pgno: null,
        reason: `the log is ${this.bytes} bytes; its header says ${h.fileSectors * h.sectorSize}`,
      });
    }
    if (!this.walker) return;
    const problems = this.walker.finish();
    for (const p of problems) r.badPages.push({ index: Math.floor(p.offset / ESE_FILE_HEADER_SIZE), pgno: null, reason: p.reason });
    r.logRecords = { records: this.walker.records, end: this.walker.end };
  }
}

/** The trailer page read as a header; `undefined` when it is too damaged to say (a page size it does not know). */
function trailerHeader(page: Uint8Array): EseFileHeader | undefined {
  try {
    return readEseFileHeader(page);
  } catch {
    return undefined;
  }
}
