import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedEngine, JET_bit, JET_err, JetError, type PageSize } from '../../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ese-recovery-'));
  dirs.push(d);
  return d;
};
const valueOf = (i: number, round: number) => `value ${i} round ${round} ${'x'.repeat((i * 37) % 900)}`;

describe('crash recovery and restart', () => {
  // More than 256 pages, so the page scan reads several chunks, and values spanning pages.
  it.each([4096, 32768] as PageSize[])(
    'an abrupt term loses nothing committed; the restarted instance replays the logs (%i-byte pages)',
    async (pageSize) => {
      const dir = tmp();
      const engine = await createEmbeddedEngine({ directory: dir });
      const inst = await engine.createInstance('r', { pageSize, logFileSize: 64 * 1024 });
      await engine.init(inst);
      const db = await engine.createDatabase(inst, 'r.edb');
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 1500; i += 50)
          await Promise.all(Array.from({ length: 50 }, (_, j) => db.put(`k${i + j}`, valueOf(i + j, round))));
      }
      for (let i = 0; i < 1500; i += 7) await db.delete(`k${i}`);
      const before = db.entries();
      await engine.term(inst, JET_bit.TermAbrupt);

      const again = await engine.createInstance('r', { pageSize, logFileSize: 64 * 1024 });
      await engine.init(again);
      const [file] = engine.instanceInfo(again).databases;
      expect(file).toBe(db.path);
      const reopened = await engine.attachDatabase(again, 'r.edb');
      expect(reopened.entries()).toEqual(before);
      if (pageSize === 4096) expect(fs.statSync(db.path).size / pageSize).toBeGreaterThan(258);
      // The recovered instance keeps working and backs up.
      await reopened.put('after', 'restart');
      await engine.beginExternalBackup(again);
      await engine.endExternalBackup(again, JET_bit.BackupEndAbort);
      await engine.close();
    },
  );

  it('a clean term marks the database clean; get() hands out copies', async () => {
    const dir = tmp();
    const engine = await createEmbeddedEngine({ directory: dir });
    const inst = await engine.createInstance('c');
    await engine.init(inst);
    const db = await engine.createDatabase(inst, 'c.edb');
    await db.put('k', new Uint8Array([1, 2, 3]));
    const got = db.get('k') as Uint8Array;
    got[0] = 99;
    expect([...(db.get('k') as Uint8Array)]).toEqual([1, 2, 3]);
    await engine.term(inst, JET_bit.TermComplete);
    const header = fs.readFileSync(db.path).subarray(0, 4096);
    expect(header.readUInt32LE(52)).toBe(3); // clean shutdown
    await expect(engine.beginExternalBackup(inst)).rejects.toMatchObject({ err: JET_err.InvalidParameter });
  });

  it('a database of another page size cannot be attached', async () => {
    const dir = tmp();
    const engine = await createEmbeddedEngine({ directory: dir });
    const a = await engine.createInstance('a', { pageSize: 8192 });
    await engine.init(a);
    const db = await engine.createDatabase(a, 'a.edb');
    await db.put('k', 'v');
    await engine.term(a, JET_bit.TermComplete);
    const b = await engine.createInstance('b');
    await engine.init(b);
    const e = await engine.attachDatabase(b, db.path).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(JetError);
    expect((e as JetError).err).toBe(JET_err.InvalidParameter);
    await engine.close();
  });
});
