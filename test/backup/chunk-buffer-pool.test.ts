import { describe, expect, it } from 'vitest';
import { ChunkBufferPool } from '../../src/backup/chunk-buffer-pool.js';

describe('chunk buffer pool: kept for the next run once every buffer came back', () => {
  it('a pool given back with chunks in flight is reused only after they all came back, waiters included', async () => {
    const allocate = (n: number) => new Uint8Array(n);
    const pool = ChunkBufferPool.take(2, 4096, allocate);
    const a = await pool.acquire();
    const b = await pool.acquire();
    const waiting = pool.acquire(); // no buffer free: waits for a release
    pool.release(a);
    expect(await waiting).toBe(a);
    pool.giveBack();
    // Two buffers still out (b, and a again through the waiter): a new run gets a new pool.
    const other = ChunkBufferPool.take(2, 4096, allocate);
    expect(other).not.toBe(pool);
    pool.release(b);
    expect(ChunkBufferPool.take(2, 4096, allocate)).not.toBe(pool);
    pool.release(a);
    // Every buffer back: the next run of that shape takes this very pool, with the same memory.
    const again = ChunkBufferPool.take(2, 4096, allocate);
    expect(again).toBe(pool);
    const got = [await again.acquire(), await again.acquire()];
    expect(got).toEqual(expect.arrayContaining([a, b]));
    expect(ChunkBufferPool.take(2, 8192, allocate)).not.toBe(pool); // another shape: its own pool
  });

  it('a pool given back refuses to hand out buffers until taken again', async () => {
    const pool = ChunkBufferPool.take(2, 4096, (n) => new Uint8Array(n));
    pool.giveBack();
    await expect(pool.acquire()).rejects.toThrow(/acquire after giveBack/);
  });
});
