/**
 * ESE's "new format" page checksum of one block (`ChecksumNewFormat` in `dev/ese/src/checksum`): a
 * Hsiao ECC over the block seen as rows of four u32 words, plus the XOR of every word.
 *
 * ESE rule: the stored u64 is `(ecc << 32) | (xor ^ pgno)`; in the header block (offset 0 of a page)
 * the first two words, which hold the checksum itself, are taken as 0.
 */

/** Where {@link blockChecksum} leaves its result: `[0]` the low u32 (xor ^ pgno), `[1]` the high u32 (ecc). */
export const blockResult = new Int32Array(2);

// Masks selecting the column indices whose bit b is set (b = 0..4): the low five ECC bits.
const COLUMN_BIT0 = 0xaaaaaaaa | 0;
const COLUMN_BIT1 = 0xcccccccc | 0;
const COLUMN_BIT2 = 0xf0f0f0f0 | 0;
const COLUMN_BIT3 = 0xff00ff00 | 0;
const COLUMN_BIT4 = 0xffff0000 | 0;

/** 1 when `x` has an odd number of set bits, else 0. */
function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  return (0x6996 >>> (x & 15)) & 1;
}

/**
 * Computes the checksum of the block `words[start .. start + count)` (count a multiple of 32, at most
 * 2048 words = 8 KiB) into {@link blockResult}, without allocating.
 *
 * ESE rule: `ChecksumNewFormat(pb, cb, pgno, fHeaderBlock)`; a 16 KiB page is four 4 KiB blocks and a
 * 32 KiB page four 8 KiB blocks, each given the page's pgno, only the first one a header block.
 *
 * ESE XORs `(~k << 7 << 16) | (k << 7)` into the ECC for every row k (16 bytes) of odd parity. Parity
 * is linear, so this computes the same bits with fewer steps: row-index bits 0-2 from XORs of rows
 * inside each group of eight rows, bits 3-8 from the parity of each group, and the complemented half
 * from the block's total parity.
 *
 * @example
 * blockChecksum(words, 0, 1024, true, pgno); const ok = blockResult[0] === words[0] && blockResult[1] === words[1];
 */
export function blockChecksum(words: Int32Array, start: number, count: number, headerBlock: boolean, pgno: number): void {
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  // XORs of the rows whose index has bit 0, 1, 2 set; row-index bits 3-8 accumulated per group.
  let odd1 = 0;
  let odd2 = 0;
  let odd4 = 0;
  let groupBits = 0;
  const end = start + count;
  // `group` is the group number g placed where row index k = 8g + j puts bit 3: ECC bit 10.
  for (let i = start, group = 0; i < end; i += 32, group += 1 << 10) {
    let a = words[i]!,
      b = words[i + 1]!,
      c = words[i + 2]!,
      d = words[i + 3]!;
    c0 ^= a;
    c1 ^= b;
    c2 ^= c;
    c3 ^= d;
    const x0 = a ^ b ^ c ^ d;
    a = words[i + 4]!;
    b = words[i + 5]!;
    c = words[i + 6]!;
    d = words[i + 7]!;
    c0 ^= a;
    c1 ^= b;
    c2 ^= c;
    c3 ^= d;
    const x1 = a ^ b ^ c ^ d;
    a = words[i + 8]!;
    b = words[i + 9]!;
    c = words[i + 10]!;
    d = words[i + 11]!;
    c0 ^= a;
    c1 ^= b;
    c2 ^= c;
    c3 ^= d;
    const x2 = a ^ b ^ c ^ d;
    a = words[i + 12]!;
    b = words[i + 13]!;
    c = words[i + 14]!;
    d = words[i + 15]!;
    c0 ^= a;
    c1 ^= b;
    c2 ^= c;
    c3 ^= d;
    const x3 = a ^ b ^ c ^ d;
    a = words[i + 16]!;
    b = words[i + 17]!;
    c = words[i + 18]!;
    d = words[i + 19]!;
    c0 ^= a;
    c1 ^= b;
    c2 ^= c;
    c3 ^= d;
    const x4 = a ^ b ^ c ^ d;
    a = words[i + 20]!;
    b = words[i + 21]!;
    c = words[i + 22]!;
    d = words[i + 23]!;
    c0 ^= a;
    c1 ^= b;
    c2 ^= c;
    c3 ^= d;
    const x5 = a ^ b ^ c ^ d;
    a = words[i + 24]!;
    b = words[i + 25]!;
    c = words[i + 26]!;
    d = words[i + 27]!;
    c0 ^= a;
    c1 ^= b;
    c2 ^= c;
    c3 ^= d;
    const x6 = a ^ b ^ c ^ d;
    a = words[i + 28]!;
    b = words[i + 29]!;
    c = words[i + 30]!;
    d = words[i + 31]!;
    c0 ^= a;
    c1 ^= b;
    c2 ^= c;
    c3 ^= d;
    const x7 = a ^ b ^ c ^ d;
    const x37 = x3 ^ x7;
    const x67 = x6 ^ x7;
    odd1 ^= x1 ^ x5 ^ x37;
    odd2 ^= x2 ^ x6 ^ x37;
    const upper = x4 ^ x5 ^ x67;
    odd4 ^= upper;
    let g = upper ^ x0 ^ x1 ^ x2 ^ x3;
    g ^= g >>> 16;
    g ^= g >>> 8;
    g ^= g >>> 4;
    groupBits ^= group & -((0x6996 >>> (g & 15)) & 1);
  }
  if (headerBlock) {
    // The first 8 bytes hold the checksum: ESE reads them as 0. Row 0 has index 0, so only columns change.
    c0 ^= words[start]!;
    c1 ^= words[start + 1]!;
  }
  const r0 = c0 ^ c2;
  const r1 = c1 ^ c3;
  const all = r0 ^ r1;
  const total = -parity(all);
  const rowLow = groupBits | (parity(odd1) << 7) | (parity(odd2) << 8) | (parity(odd4) << 9);
  const rowHigh = (rowLow ^ total) & 0xff80;
  // Column parities: bits 22 and 21 of the high half, 6 and 5 of the low half.
  const columns =
    (0x00400000 & -parity(c0 ^ c1)) | (0x00000040 & -parity(c2 ^ c3)) | (0x00200000 & -parity(r0)) | (0x00000020 & -parity(r1));
  // Bit positions within a word: XOR of the indices of set bits (low), of their complements (high).
  const low =
    parity(all & COLUMN_BIT0) |
    (parity(all & COLUMN_BIT1) << 1) |
    (parity(all & COLUMN_BIT2) << 2) |
    (parity(all & COLUMN_BIT3) << 3) |
    (parity(all & COLUMN_BIT4) << 4);
  const high = low ^ (0x1f & total);
  // Blocks under 8 KiB have fewer rows: ESE clears the row-index bits they cannot use.
  const sizeMask = count >= 2048 ? -1 : ((count << 21) - 1) | 0;
  blockResult[1] = (((rowHigh << 16) | rowLow | columns) & sizeMask) | (high << 16) | low;
  blockResult[0] = all ^ pgno;
}
