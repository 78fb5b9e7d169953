// Issue 12 §3: a set taken through the koffi backend (`backup --engine esent`), restored with ESE's own
// calls (`restore --engine esent`: JetExternalRestore2W, then JetInit on a fresh instance, attach and open
// every database). Over the shim both run in this process, the calls trampolining into the embedded engine.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { restoreEsentBackupSet } from '../../src/backup/index.js';
import { cli } from './in-process-cli.js';
import { createEmbeddedEngine } from '../../src/engine/index.js';
import { JET_bit } from '../../src/jet/index.js';
import { filledInstance, noCompiler, openNative, tempDirectory } from './native-session.js';

describe.skipIf(noCompiler)("esent: restore with ESE's own calls", () => {
  it('backup --engine esent, then restore --engine esent: the databases come back with every row', async () => {
    const s = await openNative();
    const maker = await filledInstance(s.engine, 'app', 'app.edb', 40);
    const [dbPath] = s.engine.instanceInfo(maker).databases;
    await s.engine.term(maker, JET_bit.TermComplete); // releases the database, consistent
    const work = await tempDirectory('ese-esent-restore-');
    const set = path.join(work, 'sets', 'full-1');

    const backup = await cli([
      'backup',
      '--engine',
      'esent',
      '--esent-library',
      s.host.library,
      '--instance',
      'app2',
      '--database',
      dbPath!,
      '--system-path',
      path.join(work, 'sys'),
      '--to',
      set,
    ]);
    expect(backup.code, backup.stderr).toBe(0);

    const to = path.join(work, 'restored');
    const restore = await cli(['restore', set, '--to', to, '--engine', 'esent', '--esent-library', s.host.library]);
    expect(restore.code, JSON.stringify(restore.json)).toBe(0);
    expect(restore.json).toMatchObject({
      command: 'restore',
      engine: 'esent',
      ok: true,
      databases: [{ path: path.join(to, 'db', 'app.edb') }],
    });
    const calls = s.host.calls.map((c) => c.api);
    const from = calls.lastIndexOf('externalRestore');
    expect(calls.slice(from)).toEqual(
      expect.arrayContaining([
        'externalRestore',
        'createInstance',
        'init',
        'beginSession',
        'attachDatabase',
        'openDatabase',
        'closeDatabase',
        'endSession',
        'term',
      ]),
    );
    expect(s.host.calls[from]!.err).toBe(0);

    // The replayed files are an instance the engine opens by itself: every row of the source is there.
    const source = await createEmbeddedEngine({ directory: path.dirname(path.dirname(dbPath!)) });
    const check = await createEmbeddedEngine({ directory: to });
    try {
      const src = await source.createInstance('app', { logFileSize: 64 * 1024 });
      await source.init(src);
      const srcDb = await source.attachDatabase(src, 'app.edb');
      const inst = await check.createInstance('logs', { logFileSize: 64 * 1024 });
      await check.init(inst);
      const [restoredDb] = check.instanceInfo(inst).databases;
      expect(path.basename(restoredDb!)).toBe('app.edb');
      const db = await check.attachDatabase(inst, 'app.edb');
      const entries = db.entries();
      expect(entries.length).toBe(40);
      expect(entries.map(([k, v]) => [k, Buffer.from(v).toString('hex')])).toEqual(
        srcDb.entries().map(([k, v]) => [k, Buffer.from(v).toString('hex')]),
      );
    } finally {
      await check.close();
      await source.close();
    }
  });

  it('a set that does not verify is refused before any ESE call', async () => {
    const s = await openNative();
    const work = await tempDirectory('ese-esent-refuse-');
    fs.mkdirSync(path.join(work, 'set'));
    fs.writeFileSync(path.join(work, 'set', 'manifest.json'), '{}');
    await expect(
      restoreEsentBackupSet(path.join(work, 'set'), { to: path.join(work, 'r'), library: s.host.library }),
    ).rejects.toMatchObject({ name: 'BackupSetRestoreError' });
    expect(s.host.calls).toEqual([]);
  });
});
