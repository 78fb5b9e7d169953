import { blockChecksum, blockResult } from './block-checksum.js';
import { dataPageFault, PageFault } from './data-page-fault.js';
import { ESE_PAGE_SIZES, ESE_SMALL_PAGE_MAX, EseOffset, PAGE_FLAG_NEW_CHECKSUM } from './ese-format.js';
import { headerXor } from './header-checksum.js';
import { readU32, wordsOf, writeU32 } from './word-view.js';

export { headerChecksum, setHeaderChecksum, verifyHeaderChecksum } from './header-checksum.js';
export { findBadPage } from './find-bad-page.js';

/** One stored u64 checksum as two unsigned u32 halves (`low` at the lower address), no BigInt. */
export interface XeChecksum {
  low: number;
  high: number;
}

/**
 * The checksum ESE expects in data page `pgno`: one {@link XeChecksum} for pages up to 8 KiB or in
 * the old format, four for 16/32 KiB ECC pages (block 0 stored at offset 0, blocks 1-3 at 40, 48, 56).
 *
 * ESE rule (`ComputePageChecksum`): with flag 0x2000 at offset 36, each block's u64 is
 * `(ecc << 32) | (xorOfAllWords ^ pgno)` with the first 8 bytes of block 0 taken as 0; without it,
 * `(pgno << 32) | (0x89ABCDEF ^ xor of every u32 but the first)`.
 *
 * @param page one whole page (4, 8, 16 or 32 KiB).
 * @param pgno the database page number (file page index − 1).
 * @throws RangeError when the page size is not one ESE uses.
 * @example
 * const [sum] = dataPageChecksum(page, 7); // compare with the u32s at offsets 0 and 4
 */
export function dataPageChecksum(page: Uint8Array, pgno: number): XeChecksum[] {
  checkPage(page, pgno);
  const count = page.length >>> 2;
  const words = wordsOf(page, 0, page.length);
  if ((readU32(page, EseOffset.pageFlags) & PAGE_FLAG_NEW_CHECKSUM) === 0) {
    return [{ low: headerXor(words, 0, count), high: pgno >>> 0 }];
  }
  const blocks = page.length <= ESE_SMALL_PAGE_MAX ? 1 : 4;
  const blockWords = count / blocks;
  const sums: XeChecksum[] = [];
  for (let block = 0; block < blocks; block++) {
    blockChecksum(words, block * blockWords, blockWords, block === 0, pgno);
    sums.push({ low: blockResult[0]! >>> 0, high: blockResult[1]! >>> 0 });
  }
  return sums;
}

/**
 * Stamps page `pgno` with ECC checksums so that {@link verifyDataPage} (and ESE) accept it: sets flag
 * 0x2000, on 16/32 KiB pages stores the pgno at offset 64 and the checksums of blocks 1-3 at 40, 48,
 * 56, then writes block 0's checksum, which covers those, at offset 0.
 *
 * ESE rule: `SetPageChecksum` always sets `fPageNewChecksumFormat`; `CPAGE::SetPgno` stores the pgno of
 * a large page, and `ErrValidatePage` rejects a mismatch (`JET_errReadPgnoVerifyFailure`).
 *
 * @returns the checksums written, as {@link dataPageChecksum} would compute them.
 * @example
 * setDataPageChecksum(page, 3); verifyDataPage(page, 3) // true
 */
export function setDataPageChecksum(page: Uint8Array, pgno: number): XeChecksum[] {
  checkPage(page, pgno);
  writeU32(page, EseOffset.pageFlags, readU32(page, EseOffset.pageFlags) | PAGE_FLAG_NEW_CHECKSUM);
  const large = page.length > ESE_SMALL_PAGE_MAX;
  if (large) writeU32(page, EseOffset.largePagePgno, pgno);
  const sums = dataPageChecksum(page, pgno);
  if (large) {
    for (let block = 1; block < 4; block++) {
      const at = EseOffset.pageBlockChecksums + 8 * (block - 1);
      writeU32(page, at, sums[block]!.low);
      writeU32(page, at + 4, sums[block]!.high);
    }
    // Block 0 covers the block checksums just written: compute it again.
    sums[0] = dataPageChecksum(page, pgno)[0]!;
  }
  writeU32(page, 0, sums[0]!.low);
  writeU32(page, 4, sums[0]!.high);
  return sums;
}

/**
 * Whether data page `pgno` is valid: all zero (never written), or every stored checksum matches and,
 * on 16/32 KiB pages, the pgno at offset 64 is `pgno`.
 *
 * ESE rule: a mismatch makes a backup read answer `JET_errReadVerifyFailure` (-1018).
 *
 * @example
 * verifyDataPage(fileBytes.subarray(i * size, (i + 1) * size), i - 1)
 */
export function verifyDataPage(page: Uint8Array, pgno: number): boolean {
  checkPage(page, pgno);
  return dataPageFault(wordsOf(page, 0, page.length), 0, page.length >>> 2, pgno) === PageFault.none;
}

function checkPage(page: Uint8Array, pgno: number): void {
  if (!(ESE_PAGE_SIZES as readonly number[]).includes(page.length)) {
    throw new RangeError(`page must be 4096, 8192, 16384 or 32768 bytes, got ${page.length}`);
  }
  if (!Number.isInteger(pgno) || pgno < 0 || pgno > 0xffffffff) {
    throw new RangeError(`pgno must be an unsigned 32-bit integer, got ${pgno}`);
  }
}
