import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedEngine, type PageSize } from '../../src/index.js';
import { readEseFileHeader, verifyEseBytes } from '../../src/engine/format/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

// One verifier for our files and Windows' alike: the engine's files must pass the checks the real fixtures pass.
describe('the embedded engine writes ESE-shaped files', () => {
  it.each([4096, 8192, 16384, 32768] as PageSize[])(
    'database, logs and checkpoint verify as ESE files (%i-byte pages)',
    async (pageSize) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ese-files-'));
      dirs.push(dir);
      const engine = await createEmbeddedEngine({ directory: dir });
      const inst = await engine.createInstance('f', { pageSize, logFileSize: 64 * 1024 });
      await engine.init(inst);
      const db = await engine.createDatabase(inst, 'f.edb');
      for (let i = 0; i < 800; i++) await db.put(`key-${i}`, `value-${i}-${'v'.repeat(i % 700)}`);
      await engine.term(inst, 1); // TermComplete: every page on disk, header clean

      const dbReport = verifyEseBytes(fs.readFileSync(db.path));
      expect(dbReport.badPages).toEqual([]);
      expect(dbReport.fileType).toBe('database');
      expect(dbReport.pageSize).toBe(pageSize);
      expect(dbReport.pagesWithContent).toBeGreaterThan(0);
      const h = readEseFileHeader(fs.readFileSync(db.path));
      expect(h).toMatchObject({ fileType: 'database', signature: 0x89abcdef, formatVersion: 0x620, state: 3, pageSize });

      const instDir = path.join(dir, 'f');
      const logs = fs.readdirSync(instDir).filter((n) => n.endsWith('.log'));
      expect(logs.length).toBeGreaterThan(2);
      for (const name of logs) {
        const bytes = fs.readFileSync(path.join(instDir, name));
        const lh = readEseFileHeader(bytes);
        expect(lh).toMatchObject({ fileType: 'log', checksumOk: true, sectorSize: 4096, pageSize, fileSectors: 16 });
        if (name !== 'edb.log') expect((lh as { generation: number }).generation).toBe(parseInt(name.slice(3, 8), 16));
      }
      const chk = readEseFileHeader(fs.readFileSync(path.join(instDir, 'edb.chk')));
      expect(chk).toMatchObject({ fileType: 'checkpoint', checksumOk: true });
      expect(verifyEseBytes(fs.readFileSync(path.join(instDir, 'edb.chk'))).badPages).toEqual([]);
    },
  );
});
