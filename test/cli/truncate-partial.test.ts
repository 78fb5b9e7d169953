import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contents, logFiles, makeInstance, putRows, runCli, tempDir, withInstance, backupArgs } from './cli-helpers.js';

describe('ese-backup backup --truncate-logs: a truncation that fails part-way', () => {
  it('exits 1, names the logs that are gone, and keeps the verified set, which restores the data', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 300));
    const expected = await withInstance(dir, 'main', 'test.edb', contents);
    const instDir = path.join(dir, 'main');
    const logs = logFiles(instDir).filter((n) => n !== 'edb.log');
    expect(logs.length).toBeGreaterThanOrEqual(3);
    // A real file-system failure, no injection: the second-oldest log (below the checkpoint, so not
    // copied but in the truncate range) is a non-empty directory, which deleting a file cannot remove.
    fs.rmSync(path.join(instDir, logs[1]!));
    fs.mkdirSync(path.join(instDir, logs[1]!));
    fs.writeFileSync(path.join(instDir, logs[1]!, 'keep'), 'x');
    const set = path.join(dir, 'backups', 'full-1');

    const r = await runCli(backupArgs(dir, 'main', set, '--truncate-logs', '--json', '--no-progress'));
    expect(r.code, r.stderr).toBe(1);
    const j = r.json<{
      outcome: string;
      exitCode: number;
      set: string | null;
      truncated: unknown;
      logsTruncated: string[];
      verified: boolean | null;
    }>();
    expect(j).toMatchObject({
      outcome: 'failed',
      exitCode: 1,
      set,
      truncated: 'partial',
      verified: true,
      logsTruncated: [path.join(instDir, logs[0]!)],
    });
    expect(fs.existsSync(path.join(instDir, logs[0]!))).toBe(false);

    const text = await runCli(['verify', set, '--json']);
    expect(text.code, text.stdout).toBe(0);
    const restore = await runCli(['restore', set, '--to', path.join(dir, 'restored'), '--json']);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await withInstance(dir, 'restored', 'test.edb', contents)).toEqual(expected);
  });

  it('says it in words without --json', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 300));
    const instDir = path.join(dir, 'main');
    const logs = logFiles(instDir).filter((n) => n !== 'edb.log');
    fs.rmSync(path.join(instDir, logs[1]!));
    fs.mkdirSync(path.join(instDir, logs[1]!, 'sub'), { recursive: true });
    const set = path.join(dir, 'full');
    const r = await runCli(backupArgs(dir, 'main', set, '--truncate-logs', '--no-progress'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('TruncateLog failed part-way: 1 log(s) are gone');
    expect(r.stdout).toContain(
      `the set ${set} is kept (committed and verified from disk, because logs are already gone from the instance)`,
    );
    expect(r.stdout).toContain(`  gone: ${path.join(instDir, logs[0]!)}`);
  });
});
