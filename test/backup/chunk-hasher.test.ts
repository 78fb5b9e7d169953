import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createChunkHasher, hashableBuffer } from '../../src/backup/chunk-hasher.js';

describe('chunk hasher: one hashing thread per CPU', () => {
  it('files hashed at the same time, chunks interleaved, each give the digest node:crypto gives their bytes', async () => {
    const files = 3;
    const chunk = 256 * 1024;
    const hashers = Array.from({ length: files }, () => createChunkHasher());
    const expected = Array.from({ length: files }, () => createHash('sha256'));
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) {
      for (let f = 0; f < files; f++) {
        // A fresh buffer per chunk: its memory stays unchanged until its update settled.
        const bytes = hashableBuffer(chunk - f * 4096);
        for (let k = 0; k < bytes.length; k += 97) bytes[k] = (i * 31 + f * 7 + k) & 0xff;
        expected[f]!.update(bytes);
        const done = hashers[f]!.update(bytes);
        if (done) pending.push(done);
      }
    }
    await Promise.all(pending);
    const digests = await Promise.all(hashers.map((h) => h.digest()));
    expect(digests).toEqual(expected.map((h) => h.digest('hex')));
    expect(new Set(digests).size).toBe(files);
  });

  it('a disposed hash frees its thread for the next file; digest after dispose is refused', async () => {
    const dropped = createChunkHasher();
    await dropped.update(hashableBuffer(4096));
    dropped.dispose();
    await expect(dropped.digest()).rejects.toThrow(/digest after dispose/);
    const next = createChunkHasher();
    const bytes = hashableBuffer(8192).fill(7);
    await next.update(bytes);
    expect(await next.digest()).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
