/**
 * A slow, literal reading of ESE's `ChecksumNewFormat` (one row of 16 bytes at a time, one index
 * per row, one loop over the 32 column bits), kept apart from the fast kernel so the tests can
 * compare the two on random blocks. Returns `[low, high]` of the stored u64, unsigned.
 */
export function referenceBlockChecksum(block: Uint8Array, pgno: number, headerBlock: boolean): [number, number] {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const word = (i: number): number => (headerBlock && i < 2 ? 0 : view.getUint32(i * 4, true));
  const parityMask = (x: number): number => {
    let ones = 0;
    for (let bit = 0; bit < 32; bit++) ones += (x >>> bit) & 1;
    return ones & 1 ? 0xffffffff : 0;
  };
  let p = 0;
  const column = [0, 0, 0, 0];
  let index = 0xff800000;
  for (let row = 0; row < block.length / 16; row++) {
    let rowXor = 0;
    for (let c = 0; c < 4; c++) {
      const w = word(row * 4 + c);
      column[c] = (column[c]! ^ w) >>> 0;
      rowXor ^= w;
    }
    p = (p ^ (index & parityMask(rowXor))) >>> 0;
    index = (index + 0xff800080) >>> 0;
  }
  const [p0, p1, p2, p3] = column as [number, number, number, number];
  p |= 0x00400000 & parityMask(p0 ^ p1);
  p |= 0x00000040 & parityMask(p2 ^ p3);
  const r0 = p0 ^ p2;
  const r1 = p1 ^ p3;
  p |= 0x00200000 & parityMask(r0);
  p |= 0x00000020 & parityMask(r1);
  const r2 = (r0 ^ r1) >>> 0;
  let r = 0;
  let indexR = 0xffff0000;
  for (let bit = 0; bit < 32; bit++) {
    if ((r2 >>> bit) & 1) r = (r ^ indexR) >>> 0;
    indexR = (indexR + 0xffff0001) >>> 0;
  }
  // (cb << 19) - 1 in 32 bits: 0x7fffffff for 4 KiB, all ones for 8 KiB.
  const mask = (Number((BigInt(block.length) << 19n) & 0xffffffffn) - 1) >>> 0;
  const ecc = ((p & 0xffe0ffe0 & mask) | (r & 0x001f001f)) >>> 0;
  return [(r2 ^ pgno) >>> 0, ecc];
}
