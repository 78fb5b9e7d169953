// The runner's copy pipeline: off-thread SHA-256, buffers in flight, background fdatasync, and what a
// stop or a failure in the middle of it leaves.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BackupFileSink } from '../../src/backup/backup-file-sink.js';
import { createChunkHasher, hashableBuffer } from '../../src/backup/chunk-hasher.js';
import { ChunkBufferPool, copyBackupFile } from '../../src/backup/copy-backup-file.js';
import { forEachFileChunk } from '../../src/backup/read-file-chunks.js';
import { BackupSetWriter, EseFileVerifier, runBackup, verifyBackupSet } from '../../src/backup/index.js';
import { createCoordinator } from '../../src/coordinator/index.js';
import { verifyEseBytes } from '../../src/engine/format/verify-ese-bytes.js';
import type { JetBackupApi } from '../../src/jet/index.js';
import { engineFixture, goodDatabases, readEseReal, seeded, tempDir } from './helpers.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A promise settled from outside. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const identity = { backend: 'embedded', handle: '0x1' } as const;

describe('createChunkHasher', () => {
  it('hashes shared-memory chunks on its thread and plain ones here, to the same digest as one createHash', async () => {
    const data = seeded(1).fill(new Uint8Array(5 * 65536 + 123));
    for (const shared of [true, false]) {
      const h = createChunkHasher('sha256');
      const buffer = shared ? hashableBuffer(65536) : new Uint8Array(65536);
      for (let at = 0; at < data.length; at += 65536) {
        const chunk = buffer.subarray(0, Math.min(65536, data.length - at));
        chunk.set(data.subarray(at, at + chunk.length));
        // The chunk's memory is reused only once its update settled.
        await h.update(chunk);
      }
      expect(await h.digest()).toBe(sha256(data));
    }
    expect(await createChunkHasher('sha256').digest()).toBe(sha256(new Uint8Array(0)));
  });

  it('keeps the order of many updates in flight, over several files at once', async () => {
    const random = seeded(2);
    const files = Array.from({ length: 3 }, () => random.fill(new Uint8Array(40 * 4096)));
    const hashers = files.map(() => createChunkHasher('sha256'));
    const pending: Promise<void>[] = [];
    for (let at = 0; at < files[0]!.length; at += 4096) {
      for (const [i, f] of files.entries()) {
        const chunk = hashableBuffer(4096);
        chunk.set(f.subarray(at, at + 4096));
        const p = hashers[i]!.update(chunk);
        if (p) pending.push(p);
      }
    }
    await Promise.all(pending);
    expect(await Promise.all(hashers.map((h) => h.digest()))).toEqual(files.map(sha256));
  });
});

describe('forEachFileChunk', () => {
  it('hands over every chunk in order and reuses a buffer only after its handler settled', async () => {
    const file = path.join(await tempDir(), 'data');
    const data = seeded(3).fill(new Uint8Array(10 * 4096 + 17));
    fs.writeFileSync(file, data);
    const buffers = Array.from({ length: 3 }, () => new Uint8Array(4096));
    const held = new Map<Uint8Array, number>();
    const seen: Uint8Array[] = [];
    let maxHeld = 0;
    await forEachFileChunk(
      file,
      async (chunk) => {
        const owner = buffers.find((b) => b.buffer === chunk.buffer)!;
        expect(held.has(owner)).toBe(false); // not read into while a handler holds it
        held.set(owner, 1);
        maxHeld = Math.max(maxHeld, held.size);
        seen.push(chunk.slice());
        await new Promise((r) => setTimeout(r, 1));
        held.delete(owner);
      },
      { buffers },
    );
    expect(Buffer.concat(seen)).toEqual(Buffer.from(data));
    expect(maxHeld).toBeGreaterThan(1);
    await forEachFileChunk(path.join(path.dirname(file), 'empty'), () => undefined).then(
      () => expect.fail('a missing file must throw'),
      (e: NodeJS.ErrnoException) => expect(e.code).toBe('ENOENT'),
    );
  });

  it('raises the first error of a handler, after the reads in flight settled and the file closed', async () => {
    const file = path.join(await tempDir(), 'data');
    fs.writeFileSync(file, new Uint8Array(20 * 4096));
    const buffers = Array.from({ length: 4 }, () => new Uint8Array(4096));
    let calls = 0;
    await expect(
      forEachFileChunk(
        file,
        (chunk) => {
          calls++;
          if (calls === 3) return Promise.reject(new Error('hash failed'));
          return new Promise((r) => setTimeout(r, chunk.length % 2));
        },
        { buffers },
      ),
    ).rejects.toThrow('hash failed');
    expect(calls).toBeLessThan(20);
  });
});

describe('EseFileVerifier: the fast page pass', () => {
  it('reports the same pages as verifyEseBytes over shared-memory chunks with many damaged pages', () => {
    const [name, pageSize] = goodDatabases.find(([n]) => !n.endsWith('.gz'))!;
    const original = readEseReal(name);
    const random = seeded(9);
    const bytes = original.slice();
    for (let k = 0; k < 25; k++) bytes[2 * pageSize + random.below(bytes.length - 2 * pageSize)]! ^= 1 << random.below(8);
    const expected = verifyEseBytes(bytes);
    expect(expected.badPages.length).toBeGreaterThan(3);
    for (const chunkSize of [pageSize * 3, 65536, 1024 * 1024]) {
      const buffer = hashableBuffer(chunkSize);
      const v = new EseFileVerifier({ streamed: false });
      for (let at = 0; at < bytes.length; at += chunkSize) {
        const chunk = buffer.subarray(0, Math.min(chunkSize, bytes.length - at));
        chunk.set(bytes.subarray(at, at + chunk.length));
        v.push(chunk);
      }
      const r = v.finish();
      expect({ bad: r.badPages, content: r.pagesWithContent, pages: r.pages }).toEqual({
        bad: expected.badPages,
        content: expected.pagesWithContent,
        pages: expected.pages,
      });
    }
  });
});

/** A real sink in a temporary directory. */
async function sinkIn(dir: string, name: string, syncEvery?: number) {
  const file = path.join(dir, name);
  const handle = await fsp.open(file, 'wx');
  const closed: unknown[] = [];
  const sink = new BackupFileSink(
    file,
    handle,
    { name, role: 'db', source: `/src/${name}` },
    (e) => closed.push(e),
    syncEvery === undefined ? {} : { syncEvery },
  );
  return { file, sink, closed };
}

describe('BackupFileSink', () => {
  it('with writes in flight and background fdatasyncs: the bytes, size and SHA-256 of what was given', async () => {
    const dir = await tempDir();
    const data = seeded(4).fill(new Uint8Array(64 * 4096 + 100));
    const { file, sink, closed } = await sinkIn(dir, 'a.edb', 3 * 4096);
    const pending: Promise<void>[] = [];
    for (let at = 0; at < data.length; at += 4096) {
      const chunk = hashableBuffer(4096).subarray(0, Math.min(4096, data.length - at));
      chunk.set(data.subarray(at, at + chunk.length));
      pending.push(sink.write(chunk));
    }
    await Promise.all(pending);
    const entry = await sink.close();
    expect(entry).toEqual({ name: 'a.edb', role: 'db', source: '/src/a.edb', size: data.length, sha256: sha256(data) });
    expect(closed).toEqual([entry]);
    expect(fs.readFileSync(file)).toEqual(Buffer.from(data));
    await expect(sink.write(new Uint8Array(1))).rejects.toThrow(/after close/);
  });

  it('a failed write fails the chunk and close, and the file is discarded', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'ro.edb');
    fs.writeFileSync(file, '');
    const handle = await fsp.open(file, 'r'); // writes fail with EBADF
    const sink = new BackupFileSink(file, handle, { name: 'ro.edb', role: 'db', source: '/src/ro.edb' }, () => expect.fail('closed'));
    await expect(sink.write(hashableBuffer(4096))).rejects.toMatchObject({ code: 'EBADF' });
    await expect(sink.write(hashableBuffer(4096))).rejects.toMatchObject({ code: 'EBADF' });
    await expect(sink.close()).rejects.toMatchObject({ code: 'EBADF' });
    await sink.discard();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('discard drops the queued writes, waits only for the one under way, and removes the file', async () => {
    const dir = await tempDir();
    const { file, sink } = await sinkIn(dir, 'b.edb', 4096);
    const writes = Array.from({ length: 8 }, () => sink.write(hashableBuffer(65536)));
    const outcomes = Promise.allSettled(writes);
    await sink.discard();
    expect(fs.existsSync(file)).toBe(false);
    const settled = await outcomes;
    expect(settled.some((s) => s.status === 'rejected')).toBe(true);
  });
});

describe('BackupSetWriter with closes finishing out of order', () => {
  it('lists the files in the order they were added', async () => {
    const dir = await tempDir();
    const writer = await BackupSetWriter.create({ to: path.join(dir, 'set'), mode: 'full', instance: identity });
    onTestFinished(() => writer.release());
    const a = await writer.addFile('a.edb', 'db', '/src/a.edb');
    const b = await writer.addFile('b.edb', 'db', '/src/b.edb');
    await b.write(hashableBuffer(4096));
    await a.write(hashableBuffer(8192));
    await b.close();
    await a.close();
    expect(writer.entries.map((e) => e.name)).toEqual(['a.edb', 'b.edb']);
    const manifest = await writer.commit({ pageSize: 4096, logGenerations: null });
    expect(manifest.files.map((f) => [f.name, f.size])).toEqual([
      ['a.edb', 8192],
      ['b.edb', 4096],
    ]);
  });
});

/** A session over an in-memory file whose reads the test counts, and a sink whose writes the test releases. */
function fakeCopy(size: number, chunk: number) {
  const data = seeded(size).fill(new Uint8Array(size));
  let offset = 0;
  const calls: string[] = [];
  const session = {
    openFile: async () => (calls.push('open'), { handle: 7n, size: BigInt(size) }),
    readFile: async (_i: bigint, _h: bigint, buffer: Uint8Array) => {
      const n = Math.min(buffer.length, size - offset);
      buffer.set(data.subarray(offset, offset + n));
      offset += n;
      calls.push(`read ${n}`);
      return n;
    },
    closeFile: async () => void calls.push('close'),
  } as unknown as JetBackupApi;
  const writes: { bytes: Uint8Array; done: ReturnType<typeof deferred<void>> }[] = [];
  const sink = {
    write: (c: Uint8Array) => {
      const done = deferred<void>();
      writes.push({ bytes: c.slice(), done });
      return done.promise;
    },
  } as unknown as BackupFileSink;
  const pool = new ChunkBufferPool(4, chunk);
  return { data, session, sink, writes, calls, pool };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('copyBackupFile: the pipeline', () => {
  it('keeps every buffer of the pool in flight, and calls onChunk as each chunk is read, in file order', async () => {
    const fx = fakeCopy(10 * 4096, 4096);
    const order: number[] = [];
    const copy = copyBackupFile('/db/a.edb', {
      session: fx.session,
      inst: 1n,
      pool: fx.pool,
      sink: async () => fx.sink,
      onChunk: (n, c) => order.push(c[0]!),
    });
    await tick();
    // Every buffer holds a chunk being written: no more reads until one is free.
    expect(fx.writes).toHaveLength(4);
    expect(fx.calls.filter((c) => c.startsWith('read'))).toHaveLength(4);
    expect(order).toEqual(fx.writes.map((w) => w.bytes[0]));
    // Writes finishing out of order still give buffers back in file order.
    fx.writes[1]!.done.resolve();
    await tick();
    expect(fx.calls.filter((c) => c.startsWith('read'))).toHaveLength(4);
    for (let i = 0; i < 10; i++) {
      fx.writes[i]?.done.resolve();
      await tick();
    }
    const result = await copy;
    if (result.end !== 'eof') expect.fail(result.end);
    await result.drained;
    expect(Buffer.concat(fx.writes.map((w) => w.bytes))).toEqual(Buffer.from(fx.data));
    expect(order).toEqual(fx.writes.map((w) => w.bytes[0]));
    expect(fx.calls.at(-1)).toBe('close');
  });

  it('at EOF, closes the ESE file at once: the last chunks arrive later, and drained tells when', async () => {
    const fx = fakeCopy(2 * 4096 + 100, 4096);
    const result = await copyBackupFile('/db/a.edb', { session: fx.session, inst: 1n, pool: fx.pool, sink: async () => fx.sink });
    if (result.end !== 'eof') expect.fail(result.end);
    expect(fx.calls).toEqual(['open', 'read 4096', 'read 4096', 'read 100', 'read 0', 'close']);
    let drained = false;
    void result.drained.then(() => (drained = true));
    fx.writes[0]!.done.resolve();
    fx.writes[2]!.done.resolve();
    await tick();
    expect(drained).toBe(false);
    fx.writes[1]!.done.resolve();
    await result.drained;
    // The pool has every buffer back.
    const all = await Promise.all(Array.from({ length: 4 }, () => fx.pool.acquire()));
    expect(new Set(all).size).toBe(4);
  });

  it('a write failing after EOF rejects drained', async () => {
    const fx = fakeCopy(4096, 4096);
    const result = await copyBackupFile('/db/a.edb', { session: fx.session, inst: 1n, pool: fx.pool, sink: async () => fx.sink });
    if (result.end !== 'eof') expect.fail(result.end);
    fx.writes[0]!.done.reject(new Error('EIO'));
    await expect(result.drained).rejects.toThrow('EIO');
  });

  it('interrupted with chunks in flight: closes the ESE file at once and returns without waiting for them', async () => {
    const fx = fakeCopy(40 * 4096, 4096);
    let stop = false;
    const copy = copyBackupFile('/db/a.edb', {
      session: fx.session,
      inst: 1n,
      pool: fx.pool,
      sink: async () => fx.sink,
      interrupted: () => stop,
    });
    await tick();
    expect(fx.writes).toHaveLength(4);
    stop = true;
    fx.writes[0]!.done.resolve();
    const result = await copy;
    expect(result.end).toBe('interrupted');
    expect(fx.calls.at(-1)).toBe('close');
    expect(fx.calls.filter((c) => c.startsWith('read'))).toHaveLength(4);
  });

  it('a failed write stops the reads, closes the ESE file and raises the error', async () => {
    const fx = fakeCopy(40 * 4096, 4096);
    const copy = copyBackupFile('/db/a.edb', { session: fx.session, inst: 1n, pool: fx.pool, sink: async () => fx.sink });
    await tick();
    fx.writes[0]!.done.reject(Object.assign(new Error('no space left'), { code: 'ENOSPC' }));
    await expect(copy).rejects.toThrow('no space left');
    expect(fx.calls.at(-1)).toBe('close');
    expect(fx.calls.filter((c) => c.startsWith('read')).length).toBeLessThanOrEqual(5);
  });
});

describe('runBackup: a stop while the pipeline is full', () => {
  it.each([16 * 1024, 64 * 1024])('%i-byte reads: stopped, End2(Abort), nothing under the final name or next to it', async (readSize) => {
    const fx = await engineFixture({ keys: 400 });
    const coordinator = createCoordinator({ api: fx.engine });
    onTestFinished(() => coordinator.dispose());
    const to = path.join(fx.work, 'set');
    const run = runBackup({ coordinator, instance: fx.inst, to, mode: 'full', readSize });
    let stoppedAt = -1;
    run.progress$.subscribe((p) => {
      // Several chunks in: the reader is ahead of the writes, chunks are being hashed and written.
      if (stoppedAt < 0 && p.phase === 'databases' && p.fileBytes >= 4 * readSize) {
        stoppedAt = p.fileBytes;
        coordinator.stop(fx.inst, 'operator');
      }
    });
    const result = await run;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(result).toMatchObject({ outcome: 'stopped', end: 'abort', truncated: false, stopReason: { detail: 'operator' } });
    expect(result.set).toBeUndefined();
    expect(fx.engine.lastBackup(fx.inst)).toMatchObject({ end: 'abortedByServer' });
    expect(fs.existsSync(to)).toBe(false);
    expect(fs.readdirSync(fx.work)).toEqual([]);
    // The instance backs up again at once, and that set verifies.
    const again = await runBackup({ coordinator, instance: fx.inst, to, mode: 'full', readSize, verify: true });
    expect(again).toMatchObject({ outcome: 'completed', verification: { ok: true } });
    expect((await verifyBackupSet(to)).ok).toBe(true);
  });
});
