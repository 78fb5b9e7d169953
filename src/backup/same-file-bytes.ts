import fs from 'node:fs';
import { nodeVerifyFs, type VerifyFs } from './verify-fs.js';

const CHUNK = 1024 * 1024;

/**
 * Whether two regular files hold the same bytes, read side by side (no symlink followed). Used where
 * two sets' digests of one file are of different algorithms (a BLAKE3 set after a SHA-256 one) and
 * so cannot be compared. Through `io` (node:fs by default; a restore passes its own seam).
 *
 * @throws the file system's error when either file cannot be read.
 * @example
 * if (!(await sameFileBytes('/b/mon/edb00003.log', '/b/tue/edb00003.log'))) throw new Error('differ');
 */
export async function sameFileBytes(a: string, b: string, io: VerifyFs = nodeVerifyFs): Promise<boolean> {
  const flags = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW;
  const ha = await io.open(a, flags);
  try {
    const hb = await io.open(b, flags);
    try {
      const [sa, sb] = await Promise.all([ha.stat(), hb.stat()]);
      if (sa.size !== sb.size) return false;
      const ba = Buffer.alloc(CHUNK);
      const bb = Buffer.alloc(CHUNK);
      for (let at = 0; ;) {
        const [ra, rb] = await Promise.all([ha.read(ba, 0, CHUNK, at), hb.read(bb, 0, CHUNK, at)]);
        if (ra.bytesRead !== rb.bytesRead) return false;
        if (ra.bytesRead === 0) return true;
        if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
        at += ra.bytesRead;
      }
    } finally {
      await hb.close();
    }
  } finally {
    await ha.close();
  }
}
