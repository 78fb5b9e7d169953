import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contents, keyOf, logFiles, makeInstance, putRows, runCli, tempDir, withInstance } from './cli-helpers.js';

interface BackupJson {
  outcome: string;
  mode: string;
  truncated: boolean;
  files: Array<{ name: string; role: string; generation?: number }>;
  logGenerations: { low: number; high: number };
}

describe('ese-backup backup --incremental', () => {
  it('after a truncating full backup, full + incrementals restore with nothing lost; a gap is refused', async () => {
    const dir = await tempDir();
    const engine = `embedded:${dir}`;
    const sets = path.join(dir, 'sets');
    const backup = async (name: string, ...flags: string[]) => {
      const r = await runCli([
        'backup',
        '--engine',
        engine,
        '--instance',
        'main',
        '--to',
        path.join(sets, name),
        '--json',
        '--no-progress',
        ...flags,
      ]);
      expect(r.code, r.stderr).toBe(0);
      return r.json<BackupJson>();
    };
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 150));
    const logsBefore = logFiles(path.join(dir, 'main'));

    // An incremental with no truncating full backup before it: the engine refuses (-560).
    const early = await runCli([
      'backup',
      '--engine',
      engine,
      '--instance',
      'main',
      '--to',
      path.join(sets, 'too-early'),
      '--incremental',
      '--json',
      '--no-progress',
    ]);
    expect(early.code).toBe(1);
    expect(early.json()).toMatchObject({ outcome: 'failed', error: { code: 'JET_errMissingFullBackup', err: -560 } });
    expect(fs.existsSync(path.join(sets, 'too-early'))).toBe(false);

    const full = await backup('full', '--truncate-logs');
    expect(full).toMatchObject({ outcome: 'completed', mode: 'full', truncated: true });
    const logsAfter = logFiles(path.join(dir, 'main'));
    expect(logsAfter.length).toBeLessThan(logsBefore.length);

    // More writes, overwrites and deletes, each followed by an incremental.
    await withInstance(dir, 'main', 'test.edb', async (db) => {
      await putRows(db, 150, 260, 1500, 'second-');
      await putRows(db, 0, 20, 800, 'rewritten-');
      for (let i = 20; i < 30; i++) await db.delete(keyOf(i));
    });
    const incr1 = await backup('incr-1', '--incremental', '--truncate-logs');
    expect(incr1).toMatchObject({ outcome: 'completed', mode: 'incremental', truncated: true });
    expect(incr1.files.every((f) => f.role === 'log')).toBe(true);
    await withInstance(dir, 'main', 'test.edb', (db) => putRows(db, 260, 300, 1500, 'third-'));
    const incr2 = await backup('incr-2', '--incremental', '--truncate-logs');
    // Each truncating backup is the base of the next: the incrementals' generations follow on.
    expect(incr2.logGenerations.low).toBe(incr1.logGenerations.high + 1);
    const expected = await withInstance(dir, 'main', 'test.edb', contents);
    expect(expected.size).toBe(290);

    const restore = await runCli([
      'restore',
      path.join(sets, 'full'),
      path.join(sets, 'incr-1'),
      path.join(sets, 'incr-2'),
      '--to',
      path.join(dir, 'restored'),
      '--json',
    ]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.json()).toMatchObject({ ok: true, databases: [{ keys: 290 }] });
    expect(await withInstance(dir, 'restored', 'test.edb', contents)).toEqual(expected);

    // The full set alone holds only what came before it.
    await runCli(['restore', path.join(sets, 'full'), '--to', path.join(dir, 'full-only')]);
    expect((await withInstance(dir, 'full-only', 'test.edb', contents)).size).toBe(150);

    // Skipping an incremental leaves a gap in the log generations: refused, nothing restored.
    const gap = await runCli(['restore', path.join(sets, 'full'), path.join(sets, 'incr-2'), '--to', path.join(dir, 'gap'), '--json']);
    expect(gap.code).toBe(1);
    expect(gap.stdout).toMatch(/do not chain/);
    expect(fs.existsSync(path.join(dir, 'gap')) && fs.readdirSync(path.join(dir, 'gap')).length > 0).toBe(false);
    // An incremental first is refused too.
    const wrongOrder = await runCli(['restore', path.join(sets, 'incr-1'), '--to', path.join(dir, 'wrong')]);
    expect(wrongOrder.code).toBe(1);
    expect(wrongOrder.stdout).toMatch(/set 1 must be full/);
  });
});
