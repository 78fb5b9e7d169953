import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { runBackup } from '../../src/backup/index.js';
import { createChunkHasher, hashableBuffer } from '../../src/backup/chunk-hasher.js';
import { EseFileVerifier, type DataPageVerdict } from '../../src/backup/ese-file-verifier.js';
import { engineFixture, flipBit } from './helpers.js';

describe('data pages checked on the hashing thread (the re-read of verify: true)', () => {
  it('the verifier fed the thread’s verdicts reports what it reports alone: damaged pages found, same reasons', async () => {
    const fx = await engineFixture({ keys: 400 });
    const coordinator = createCoordinator({ api: fx.engine });
    onTestFinished(() => coordinator.dispose());
    const result = await runBackup({ coordinator, instance: fx.inst, to: path.join(fx.work, 'set'), mode: 'full' });
    expect(result.outcome).toBe('completed');
    const db = result.set!.manifest.files.find((f) => f.role === 'db')!;
    const file = path.join(result.set!.path, db.name);
    const P = result.set!.manifest.pageSize;
    const pages = fs.statSync(file).size / P;
    expect(pages).toBeGreaterThan(40);
    // Damaged data pages: one in the first chunk, others later, one the last data page before the trailer.
    for (const page of [3, 17, 30, pages - 2]) flipBit(file, page * P + 200, 5);
    const bytes = fs.readFileSync(file);

    const alone = new EseFileVerifier({ streamed: true });
    const fed = new EseFileVerifier({ streamed: true });
    const hasher = createChunkHasher('sha256');
    const verdicts: DataPageVerdict[] = [];
    // Chunks of 8 pages and a half, so that pages straddle chunks too.
    const step = 8 * P + P / 2;
    for (let at = 0; at < bytes.length; at += step) {
      const chunk = hashableBuffer(Math.min(step, bytes.length - at));
      chunk.set(bytes.subarray(at, at + chunk.length));
      alone.push(chunk);
      const verdict = await hasher.updateChecking(chunk, fed.dataPageSize ?? 0, at);
      if (verdict) verdicts.push(verdict);
      fed.push(chunk, verdict);
    }
    hasher.dispose();
    const report = fed.finish();
    expect(report).toEqual(alone.finish());
    expect(report.badPages.map((b) => b.index)).toEqual([3, 17, 30, pages - 2]);
    // The thread took verdicts, and rejected the damaged pages it saw whole.
    expect(verdicts.length).toBeGreaterThan(3);
    const rejected = verdicts.flatMap((v) => v.rejected);
    expect(rejected).toEqual(expect.arrayContaining([30]));
  });
});
