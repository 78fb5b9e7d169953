import { dataPageFault, describePageFault, isZero, PageFault } from './data-page-fault.js';
import { readEseFileHeader, type EseFileHeader } from './ese-file-header.js';
import { ESE_FILE_HEADER_SIZE, ESE_PAGE_SIZES, ESE_SIGNATURE, EseOffset, type EseFileTypeName } from './ese-format.js';
import { headerXor } from './header-checksum.js';
import { copyWords, HOST_IS_LITTLE_ENDIAN } from './word-view.js';

/** Options of {@link verifyEseBytes}. */
export interface VerifyEseBytesOptions {
  /** The image is a database as `JetReadFileInstance` streams it: one trailer page (header format) ends it (default false). */
  streamed?: boolean;
}

/** One problem {@link verifyEseBytes} found. */
export interface EseBadPage {
  /** File page index (byte offset / page size): 0 header, 1 shadow, then data pages. */
  index: number;
  /** Database page number (`index − 1`) of a data page; `null` for headers, shadows and trailers. */
  pgno: number | null;
  reason: string;
}

/** What {@link verifyEseBytes} reports about a whole file image. */
export interface EseVerifyReport {
  fileType: EseFileTypeName | 'unknown';
  /** Database page size; for logs and checkpoints the 4096-byte unit that `pages` counts. */
  pageSize: number;
  /** Whole pages in the image (header, shadow and trailer included). */
  pages: number;
  /** Data pages that are not all zero (header, shadow and trailer excluded). */
  pagesWithContent: number;
  /** Every problem found, in file order; empty when the image verifies. */
  badPages: EseBadPage[];
  ok: boolean;
  /** The header fields, read from page 0, or from the shadow when page 0 is damaged and the shadow is not. */
  header: EseFileHeader;
  /** Where `header` was read: 0 the header, 1 its shadow. */
  headerIndex: 0 | 1;
}

/**
 * Verifies a whole database, log or checkpoint file image and lists every bad page, not just the first.
 *
 * ESE rule (reference §6): a database's header and shadow (pages 0 and 1) and a streamed copy's trailer
 * carry the seeded XOR checksum over the whole page; every data page `pgno = index − 1` its XOR/ECC
 * checksum (all-zero pages are valid). Logs and checkpoints carry the XOR checksum over their first
 * 4096 bytes; a checkpoint keeps a shadow copy in the next 4096. Log records have their own segment
 * checksums, which this does not check.
 *
 * @param bytes the whole file (at least 4096 bytes).
 * @throws RangeError when `bytes` is shorter than 4096 bytes.
 * @example
 * const report = verifyEseBytes(readFileSync('backup/SRUDB.dat'), { streamed: true });
 * for (const bad of report.badPages) console.log(bad.index, bad.reason);
 */
export function verifyEseBytes(bytes: Uint8Array, options: VerifyEseBytesOptions = {}): EseVerifyReport {
  if (bytes.length < ESE_FILE_HEADER_SIZE) {
    throw new RangeError(`an ESE file starts with a ${ESE_FILE_HEADER_SIZE}-byte header, got ${bytes.length} bytes`);
  }
  const { header, headerIndex } = bestHeader(bytes);
  const pageSize = header.fileType === 'database' && isPageSize(header.pageSize) ? header.pageSize : ESE_FILE_HEADER_SIZE;
  const pages = Math.floor(bytes.length / pageSize);
  const badPages: EseBadPage[] = [];
  const aligned = HOST_IS_LITTLE_ENDIAN && (bytes.byteOffset & 3) === 0;
  const view = aligned ? new Int32Array(bytes.buffer, bytes.byteOffset, (pages * pageSize) / 4) : undefined;
  const pageWords = pageSize >>> 2;
  let pagesWithContent = 0;
  const headerPage = (index: number, what: string): void => {
    const words = view ?? copyWords(bytes, index * pageSize, pageSize);
    const start = view ? index * pageWords : 0;
    if (headerXor(words, start, pageWords) !== words[start]! >>> 0)
      badPages.push({ index, pgno: null, reason: `${what} checksum mismatch` });
  };

  if (header.fileType === 'database') {
    headerPage(0, 'header');
    if (header.signature !== ESE_SIGNATURE && headerIndex === 0) {
      badPages.push({ index: 0, pgno: null, reason: 'header signature is not 0x89ABCDEF' });
    }
    if (pages > 1) headerPage(1, 'shadow header');
    else badPages.push({ index: 1, pgno: null, reason: 'shadow header missing' });
    const trailer = options.streamed ? pages - 1 : -1;
    for (let index = 2; index < pages; index++) {
      if (index === trailer) {
        headerPage(index, 'trailer');
        continue;
      }
      const words = view ?? copyWords(bytes, index * pageSize, pageSize);
      const start = view ? index * pageWords : 0;
      if (!isZero(words, start, pageWords)) pagesWithContent++;
      const fault = dataPageFault(words, start, pageWords, index - 1);
      if (fault !== PageFault.none) badPages.push({ index, pgno: index - 1, reason: describePageFault(fault) });
    }
    if (options.streamed && pages < 3) badPages.push({ index: pages, pgno: null, reason: 'trailer page missing' });
  } else {
    headerPage(0, header.fileType === 'unknown' ? 'header' : `${header.fileType} header`);
    if (header.fileType === 'unknown') {
      badPages.push({ index: 0, pgno: null, reason: `unknown file type ${header.fileTypeCode} at offset 667` });
    }
    if (header.fileType === 'checkpoint' && pages > 1) headerPage(1, 'checkpoint shadow');
    for (let index = 1; index < pages; index++) {
      const words = view ?? copyWords(bytes, index * pageSize, pageSize);
      if (!isZero(words, view ? index * pageWords : 0, pageWords)) pagesWithContent++;
    }
  }
  if (bytes.length % pageSize !== 0) {
    badPages.push({ index: pages, pgno: null, reason: `partial page: ${bytes.length % pageSize} bytes after the last whole page` });
  }
  badPages.sort((a, b) => a.index - b.index);
  return { fileType: header.fileType, pageSize, pages, pagesWithContent, badPages, ok: badPages.length === 0, header, headerIndex };
}

/** Page 0's header when it verifies; else a shadow that verifies (database page 1, checkpoint copy); else page 0 as it is. */
function bestHeader(bytes: Uint8Array): { header: EseFileHeader; headerIndex: 0 | 1 } {
  const first = readHeader(bytes);
  if (first?.checksumOk) return { header: first, headerIndex: 0 };
  for (const size of ESE_PAGE_SIZES) {
    if (bytes.length < 2 * size) break;
    const shadow = readHeader(bytes.subarray(size, 2 * size));
    const fits =
      shadow?.fileType === 'database' ? shadow.pageSize === size : shadow?.fileType === 'checkpoint' && size === ESE_FILE_HEADER_SIZE;
    if (shadow?.checksumOk && fits) return { header: shadow, headerIndex: 1 };
  }
  // Page 0 claims a page size bigger than the file: read it as a 4096-byte header to report on it.
  return { header: first ?? readEseFileHeader(withoutPageSize(bytes)), headerIndex: 0 };
}

function readHeader(bytes: Uint8Array): EseFileHeader | undefined {
  try {
    return readEseFileHeader(bytes);
  } catch {
    return undefined;
  }
}

function withoutPageSize(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice(0, ESE_FILE_HEADER_SIZE);
  copy.fill(0, EseOffset.dbPageSize, EseOffset.dbPageSize + 4);
  return copy;
}

function isPageSize(size: number): boolean {
  return (ESE_PAGE_SIZES as readonly number[]).includes(size);
}
