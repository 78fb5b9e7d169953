import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { hostTag } from '../../src/backup/backup-set-names.js';
import { backupArgs, contents, makeInstance, putRows, runCli, tempDir, withInstance } from './cli-helpers.js';

const child = fileURLToPath(new URL('../backup/restore-child.ts', import.meta.url));

describe('ese-backup clean: what a killed restore left', () => {
  it('keeps the temporary directory of a live restore, removes it once the restore was SIGKILLed; the set stays, the retry restores', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 60));
    const expected = await withInstance(dir, 'main', 'test.edb', contents);
    const backups = path.join(dir, 'backups');
    const set = path.join(backups, 'full');
    const backup = await runCli(backupArgs(dir, 'main', set, '--no-progress'));
    expect(backup.code, backup.stderr).toBe(0);
    const to = path.join(backups, 'restored');

    // A restore blocked once its engine has built the instance in `.restored.restoring-<pid>-<hex>`.
    const proc = spawn(process.execPath, ['--import', 'tsx', child, set, to, 'engine', await tempDir()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => void proc.kill('SIGKILL'));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_c, signal) => resolve(signal)));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()).includes('READY') && resolve());
      void exited.then(() => reject(new Error(`the restore child exited: ${out}`)));
    });
    const temporary = path.join(
      backups,
      fs.readdirSync(backups).find((n) => n.startsWith('.restored.restoring-'))!,
    );

    const live = await runCli(['clean', backups]);
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout).toContain(`kept    ${temporary}: restore in progress: pid ${proc.pid} is alive`);
    expect(fs.existsSync(temporary)).toBe(true);

    proc.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const clean = await runCli(['clean', backups, '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.json()).toMatchObject({ command: 'clean', ok: true, removed: [temporary], kept: [], sessions: [] });
    expect(fs.readdirSync(backups).sort()).toEqual(['full']);
    expect((await runCli(['verify', set])).code).toBe(0);

    const restore = await runCli(['restore', set, '--to', to]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await withInstance(backups, 'restored', 'test.edb', contents)).toEqual(expected);
    // The restored instance is a target, not a leftover.
    const after = await runCli(['clean', backups]);
    expect(after.stdout).toContain(`nothing to clean in ${backups}`);
  }, 60_000);

  it("keeps another host's restore directory and says so; removes this host's dead one and the old form's", async () => {
    const backups = await tempDir();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const make = (name: string) => (fs.mkdirSync(path.join(backups, name)), path.join(backups, name));
    const remote = make(`.t1.restoring-some-other-host-${dead}-0a`);
    const own = make(`.t2.restoring-${hostTag(os.hostname())}-${dead}-0b`);
    const oldForm = make(`.t3.restoring-${dead}-0c`);
    const clean = await runCli(['clean', backups, '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.json()).toMatchObject({
      command: 'clean',
      ok: true,
      kept: [{ path: remote, reason: expect.stringMatching(/^restore of another host \(some-other-host, pid \d+\)/) }],
      sessions: [],
    });
    expect((clean.json() as { removed: string[] }).removed.sort()).toEqual([own, oldForm].sort());
    const text = await runCli(['clean', backups]);
    expect(text.stdout).toContain(`kept    ${remote}: restore of another host (some-other-host, pid ${dead})`);
  }, 60_000);
});
