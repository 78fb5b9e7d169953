// A backup whose database copy ends on a full page holding the start of a record written after Open
// (the page was flushed between Open and the read; the record's other pages lie past the size Open
// fixed): the restore's replay appends after that cut record, and every row must come back. Before the
// parser dropped such a cut record, the replayed rows were glued to it and lost (`npm start` at 128 MiB).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { JET_bit } from '../../src/jet/index.js';
import { backends } from '../conformance/backends.js';
import { readToEnd, setupOne, streamFile, tempDir } from '../conformance/helpers.js';

const embedded = backends.find((backend) => backend.name === 'embedded')!;
const row = (i: number) => `row ${i}: `.padEnd(5000 + 37 * i, String.fromCharCode(97 + (i % 26)));

it('rows written between Open and the copy of the last page, flushed by a checkpoint, all come back', async () => {
  const s = await setupOne(embedded, { keys: 0 });
  for (let i = 0; i < 20; i++) await s.db.put(`before-${i}`, row(i));
  const dest = await tempDir();
  await s.api.beginExternalBackup(s.inst, 0);
  const [dbPath] = await s.api.getAttachInfo(s.inst);
  const { handle, size } = await s.api.openFile(s.inst, dbPath!);
  // Open fixed the copy's size. Rows now fill the last page and go on past it; enough of them (≥ a
  // 64 KiB log) that the log rolls and its checkpoint flushes those pages before the copy reads them.
  for (let i = 0; i < 30; i++) await s.db.put(`after-${i}`, row(100 + i));
  const data = await readToEnd(s.api, s.inst, handle, s.readSize, size);
  await s.api.closeFile(s.inst, handle);
  const dbCopy = path.join(dest, path.basename(dbPath!));
  await writeFile(dbCopy, data);
  const logs: string[] = [];
  for (const log of await s.api.getLogInfo(s.inst)) {
    const copy = path.join(dest, path.basename(log));
    await streamFile(s.api, s.inst, log, s.readSize, { dest: copy });
    logs.push(copy);
  }
  await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
  expect(logs.length, 'the rows after Open rolled at least one log').toBeGreaterThan(1);

  const directory = await tempDir('ese-restore-');
  const restored = await s.engine.restore([dbCopy, ...logs], { directory, name: 'restored' });
  const info = s.engine.instanceInfo(restored.instance);
  // As restoreBackupSet does: end the restore's instance, then open the result as an instance of its
  // own, which reads the database back from its pages (the replayed rows included).
  await s.engine.term(restored.instance);
  const again = await s.engine.createInstance('reopened', {
    pageSize: info.pageSize,
    baseName: info.baseName,
    logFileSize: info.logFileSize,
    directory,
  });
  await s.engine.init(again);
  const db = await s.engine.attachDatabase(again, restored.databases[0]!.path);
  const text = new TextDecoder();
  const missing: string[] = [];
  for (let i = 0; i < 20; i++) if (text.decode(db.get(`before-${i}`)) !== row(i)) missing.push(`before-${i}`);
  for (let i = 0; i < 30; i++) if (text.decode(db.get(`after-${i}`)) !== row(100 + i)) missing.push(`after-${i}`);
  expect(missing).toEqual([]);
  expect(db.size).toBe(50);
});
