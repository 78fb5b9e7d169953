import { createHash } from 'node:crypto';
import { blake3 } from '@napi-rs/blake-hash';
import { describe, expect, it } from 'vitest';
import { createChunkHasher, hashableBuffer } from '../../src/backup/chunk-hasher.js';
import type { FileDigestAlgorithm } from '../../src/backup/file-digest.js';

/** One-shot digests of whole files (node:crypto; the BLAKE3 package's one-shot function, not its streaming hasher). */
const reference: Record<FileDigestAlgorithm, (bytes: Uint8Array) => string> = {
  sha256: (bytes) => createHash('sha256').update(bytes).digest('hex'),
  // The package types its input as Buffer; a view of the same bytes, no copy.
  blake3: (bytes) => blake3(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('hex'),
};

describe.each(['sha256', 'blake3'] as const)('chunk hasher (%s): one hashing thread per CPU', (algorithm) => {
  it('files hashed at the same time, chunks interleaved, each give the digest of their bytes', async () => {
    const files = 3;
    const chunk = 256 * 1024;
    const hashers = Array.from({ length: files }, () => createChunkHasher(algorithm));
    const whole = Array.from({ length: files }, () => [] as Uint8Array[]);
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) {
      for (let f = 0; f < files; f++) {
        // A fresh buffer per chunk: its memory stays unchanged until its update settled.
        const bytes = hashableBuffer(chunk - f * 4096);
        for (let k = 0; k < bytes.length; k += 97) bytes[k] = (i * 31 + f * 7 + k) & 0xff;
        whole[f]!.push(bytes);
        const done = hashers[f]!.update(bytes);
        if (done) pending.push(done);
      }
    }
    await Promise.all(pending);
    const digests = await Promise.all(hashers.map((h) => h.digest()));
    expect(digests).toEqual(whole.map((chunks) => reference[algorithm](Buffer.concat(chunks))));
    expect(new Set(digests).size).toBe(files);
  });

  it('a disposed hash frees its thread for the next file; digest after dispose is refused', async () => {
    const dropped = createChunkHasher(algorithm);
    await dropped.update(hashableBuffer(4096));
    dropped.dispose();
    await expect(dropped.digest()).rejects.toThrow(/digest after dispose/);
    const next = createChunkHasher(algorithm);
    const bytes = hashableBuffer(8192).fill(7);
    await next.update(bytes);
    expect(await next.digest()).toBe(reference[algorithm](bytes));
  });
});

describe('chunk hasher: BLAKE3 known answers', () => {
  // From the BLAKE3 reference test vectors (test_vectors.json: input bytes i % 251) and "abc".
  const vectors: [Uint8Array, string][] = [
    [new Uint8Array(0), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
    [new Uint8Array([0]), '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213'],
    [Uint8Array.from({ length: 1025 }, (_, i) => i % 251), 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
    [new TextEncoder().encode('abc'), '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85'],
  ];
  it.each(vectors.map(([bytes, hex]) => [bytes.length, bytes, hex] as const))(
    '%i bytes, on the hashing thread and on this one, in chunks of 100',
    async (_n, bytes, hex) => {
      for (const shared of [true, false]) {
        const h = createChunkHasher('blake3');
        for (let at = 0; at < bytes.length; at += 100) {
          const chunk = shared ? hashableBuffer(Math.min(100, bytes.length - at)) : new Uint8Array(Math.min(100, bytes.length - at));
          chunk.set(bytes.subarray(at, at + chunk.length));
          await h.update(chunk);
        }
        expect(await h.digest()).toBe(hex);
      }
    },
  );
});
