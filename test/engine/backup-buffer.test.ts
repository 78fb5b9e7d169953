import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedEngine, JET_bit, JET_err, JetError, type PageSize } from '../../src/index.js';
import { allocateBackupBuffer } from '../../src/engine/format/index.js';
import type { EmbeddedEngine, JetInstance } from '../../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Streams the open database into one array; `err` is the code that ended it early, if any. */
async function stream(
  engine: EmbeddedEngine,
  inst: JetInstance,
  file: string,
  buffer: Uint8Array,
): Promise<{ bytes: Uint8Array; err?: number }> {
  const { handle } = await engine.openFile(inst, file);
  const parts: Uint8Array[] = [];
  try {
    for (let n; (n = await engine.readFile(inst, handle, buffer)) > 0;) parts.push(buffer.slice(0, n));
  } catch (e) {
    if (!(e instanceof JetError)) throw e;
    return { bytes: Buffer.concat(parts), err: e.err };
  }
  await engine.closeFile(inst, handle);
  return { bytes: Buffer.concat(parts) };
}

// readFile answers the same for a buffer the engine verifies in place as for any other Uint8Array.
describe('readFile into a buffer from allocateBackupBuffer', () => {
  it.each([4096, 32768] as PageSize[])(
    'streams the same bytes, and fails at the same read on a corrupt page (%i-byte pages)',
    async (pageSize) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ese-buffer-'));
      dirs.push(dir);
      const engine = await createEmbeddedEngine({ directory: dir });
      const inst = await engine.createInstance('b', { pageSize, logFileSize: 256 * 1024 });
      await engine.init(inst);
      const db = await engine.createDatabase(inst, 'b.edb');
      for (let i = 0; i < 300; i++) await db.put(`key-${i}`, `value-${i}-${'v'.repeat((i * 37) % 3000)}`);
      const readSize = 4 * pageSize;
      const buffers = () => [new Uint8Array(readSize), allocateBackupBuffer(readSize), allocateBackupBuffer(readSize + 3).subarray(3)];

      await engine.beginExternalBackup(inst);
      const [file] = await engine.getAttachInfo(inst);
      const clean = [];
      for (const b of buffers()) clean.push(await stream(engine, inst, file!, b));
      await engine.endExternalBackup(inst, JET_bit.BackupEndAbort);
      expect(clean[0]!.err).toBeUndefined();
      expect(clean[0]!.bytes.length).toBeGreaterThan(8 * pageSize);
      for (const c of clean) expect(Buffer.from(c.bytes).equals(Buffer.from(clean[0]!.bytes))).toBe(true);

      const pages = clean[0]!.bytes.length / pageSize;
      await engine.injectFault(inst, { kind: 'corruptPage', database: db.path, pgno: pages - 5 });
      await engine.beginExternalBackup(inst);
      const broken = [];
      for (const b of buffers()) broken.push(await stream(engine, inst, file!, b));
      await engine.endExternalBackup(inst, JET_bit.BackupEndAbort);
      for (const r of broken) {
        expect(r.err).toBe(JET_err.ReadVerifyFailure);
        // The read that covers file page `pgno + 1` is the one that fails: every page before it streamed.
        expect(r.bytes.length).toBe(Math.floor((pages - 4) / 4) * 4 * pageSize);
      }
      await engine.close();
    },
  );
});
