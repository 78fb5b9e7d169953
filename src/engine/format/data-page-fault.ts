import { blockChecksum, blockResult } from './block-checksum.js';
import { ESE_SMALL_PAGE_MAX, EseOffset, PAGE_FLAG_NEW_CHECKSUM } from './ese-format.js';
import { headerXor } from './header-checksum.js';

/**
 * What is wrong with a data page: `none`, a checksum mismatch in block 0..3 (`checksum` + block), or a
 * 16/32 KiB page whose stored pgno is not its place in the file.
 */
export const PageFault = {
  none: 0,
  checksum: 1,
  block1Checksum: 2,
  block2Checksum: 3,
  block3Checksum: 4,
  pgno: 5,
} as const;

/** One of the {@link PageFault} values. */
export type PageFaultCode = (typeof PageFault)[keyof typeof PageFault];

const FLAGS_WORD = EseOffset.pageFlags >>> 2;
const BLOCK_SUMS_WORD = EseOffset.pageBlockChecksums >>> 2;
const PGNO_WORD = EseOffset.largePagePgno >>> 2;
const SMALL_PAGE_WORDS = ESE_SMALL_PAGE_MAX >>> 2;

/**
 * Checks the data page `words[start .. start + count)` as page `pgno` and says what is wrong with it.
 * Allocation-free: this is the per-page step of every verifier.
 *
 * ESE rule (`ChecksumAndPossiblyFixPage`, `CPAGE::ErrValidatePage`): with flag 0x2000 the page carries
 * ECC checksums (one block up to 8 KiB; four blocks of 4 KiB or 8 KiB above, blocks 1-3 stored at
 * offsets 40, 48, 56); without it, `(pgno << 32) | xor`. A 16/32 KiB page also stores its pgno at 64.
 * An all-zero page was never written and is valid.
 *
 * @returns a {@link PageFault} code, `PageFault.none` (0) when the page is valid.
 */
export function dataPageFault(words: Int32Array, start: number, count: number, pgno: number): PageFaultCode {
  // A page never written is all zero, its stored checksum included: skip the checksum for it.
  if (words[start] === 0 && words[start + 1] === 0 && isZero(words, start, count)) return PageFault.none;
  return checksumFault(words, start, count, pgno | 0);
}

function checksumFault(words: Int32Array, start: number, count: number, pgno: number): PageFaultCode {
  if ((words[start + FLAGS_WORD]! & PAGE_FLAG_NEW_CHECKSUM) === 0) {
    // Old format: the seeded XOR of the whole page, the pgno in the high half.
    if (headerXor(words, start, count) !== words[start]! >>> 0 || words[start + 1] !== pgno) return PageFault.checksum;
    return count > SMALL_PAGE_WORDS && words[start + PGNO_WORD] !== pgno ? PageFault.pgno : PageFault.none;
  }
  if (count <= SMALL_PAGE_WORDS) {
    blockChecksum(words, start, count, true, pgno);
    return blockResult[0] === words[start] && blockResult[1] === words[start + 1] ? PageFault.none : PageFault.checksum;
  }
  const blockWords = count >>> 2;
  blockChecksum(words, start, blockWords, true, pgno);
  if (blockResult[0] !== words[start] || blockResult[1] !== words[start + 1]) return PageFault.checksum;
  for (let block = 1; block < 4; block++) {
    blockChecksum(words, start + block * blockWords, blockWords, false, pgno);
    const stored = start + BLOCK_SUMS_WORD + 2 * (block - 1);
    if (blockResult[0] !== words[stored] || blockResult[1] !== words[stored + 1]) {
      return (PageFault.checksum + block) as PageFaultCode;
    }
  }
  return words[start + PGNO_WORD] !== pgno ? PageFault.pgno : PageFault.none;
}

/** Whether `words[start .. start + count)` are all zero: a page ESE never wrote. */
export function isZero(words: Int32Array, start: number, count: number): boolean {
  const end = start + count;
  for (let i = start; i < end; i++) if (words[i] !== 0) return false;
  return true;
}

/** A short English reason for a {@link PageFault} code, for reports. */
export function describePageFault(fault: PageFaultCode): string {
  switch (fault) {
    case PageFault.none:
      return 'ok';
    case PageFault.checksum:
      return 'page checksum mismatch';
    case PageFault.pgno:
      return 'pgno stored at offset 64 does not match the page position';
    default:
      return `checksum mismatch in block ${fault - PageFault.checksum}`;
  }
}
