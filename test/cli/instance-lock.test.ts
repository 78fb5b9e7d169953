import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { logFiles, makeInstance, putRows, runCli, runLeftovers, startCli, tempDir, backupArgs } from './cli-helpers.js';

describe('ese-backup backup: one owner per instance', () => {
  it("a second backup of an instance another backup holds fails with -1032 naming the holder; the holder's backup completes, no log truncated by the loser", async () => {
    const dir = await tempDir();
    // 6 MiB of rows read at 1 MiB/s: the holder's database phase lasts about 6 s, longer than the loser's start.
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 1536, 4000));
    const instanceDir = path.join(dir, 'main');
    const logsBefore = logFiles(instanceDir);
    const backups = path.join(dir, 'backups');

    const holder = startCli(backupArgs(dir, 'main', path.join(backups, 'slow'), '--rate', '1', '--read-size', '65536', '--json'));
    await holder.stderrLine(/^progress: [1-9]\d*%/); // the holder's session is reading the database

    const loser = await runCli(backupArgs(dir, 'main', path.join(backups, 'second'), '--truncate-logs', '--json', '--no-progress'));
    expect(holder.proc.exitCode, 'the holder was still running when the loser ended').toBe(null);
    expect(loser.code, loser.stderr).toBe(1);
    expect(loser.stderr).toContain(`embedded:${instanceDir} is open in process ${holder.proc.pid} on ${os.hostname()} (open since 20`);
    expect(loser.json<{ error: { err: number; code: string } }>().error).toMatchObject({ err: -1032, code: 'JET_errFileAccessDenied' });
    expect(fs.existsSync(path.join(backups, 'second'))).toBe(false);
    expect(logFiles(instanceDir)).toEqual(expect.arrayContaining(logsBefore)); // nothing truncated

    const held = await holder.done;
    expect(held.code, held.stderr).toBe(0);
    expect(held.json()).toMatchObject({ outcome: 'completed', verified: true, truncated: false });
    expect(runLeftovers(backups)).toEqual([]);
    expect((await runCli(['verify', path.join(backups, 'slow')])).code).toBe(0);

    // The holder is gone, and its lock with it: the next backup (truncating) runs.
    const next = await runCli(backupArgs(dir, 'main', path.join(backups, 'second'), '--truncate-logs', '--json', '--no-progress'));
    expect(next.code, next.stderr).toBe(0);
    expect(next.json()).toMatchObject({ outcome: 'completed', truncated: true });
  });

  it('a backup of an instance a killed process held runs: the kernel dropped the lock', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 1536, 4000));
    const holder = startCli(backupArgs(dir, 'main', path.join(dir, 'backups', 'a'), '--rate', '4', '--read-size', '65536'));
    await holder.stderrLine(/^progress: [1-9]\d*%/);
    holder.proc.kill('SIGKILL');
    await holder.done;
    expect(fs.readdirSync(path.join(dir, 'main'))).toContain('ese-backup-instance.lock'); // left behind, but not locked
    const r = await runCli(backupArgs(dir, 'main', path.join(dir, 'backups', 'b'), '--json', '--no-progress'));
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'main'))).not.toContain('ese-backup-instance.lock');
  });
});
