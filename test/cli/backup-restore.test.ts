import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contents, makeInstance, putRows, runCli, tempDir, withInstance, backupArgs } from './cli-helpers.js';

interface BackupJson {
  outcome: string;
  exitCode: number;
  set: string | null;
  files: Array<{ name: string; role: string; size: number }>;
  verified: boolean | null;
  truncated: boolean;
  end: string;
}

describe('ese-backup backup / verify / restore', () => {
  it('a completed backup verifies and restores to the committed data', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 300));
    const expected = await withInstance(dir, 'main', 'test.edb', contents);
    const set = path.join(dir, 'backups', 'full-1');

    const backup = await runCli(backupArgs(dir, 'main', set, '--json', '--read-size', '65536'));
    expect(backup.code, backup.stderr).toBe(0);
    const b = backup.json<BackupJson>();
    expect(b).toMatchObject({ outcome: 'completed', exitCode: 0, set, verified: true, truncated: false, end: 'normal' });
    expect(b.files.map((f) => f.role)).toContain('db');
    expect(b.files.map((f) => f.role)).toContain('log');
    expect(fs.readdirSync(path.dirname(set))).toEqual(['full-1']); // no lock, no temporary directory
    expect(backup.stderr).toMatch(/^phase: databases$/m); // plain progress lines off a TTY

    const verify = await runCli(['verify', set, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.json()).toMatchObject({ ok: true, sets: [{ path: set, ok: true, mode: 'full', problems: [] }] });

    const list = await runCli(['list', path.dirname(set), '--json']);
    expect(list.code).toBe(0);
    expect(list.json()).toMatchObject({ sets: [{ name: 'full-1', mode: 'full', verified: true, problems: 0 }] });

    const to = path.join(dir, 'restored');
    const restore = await runCli(['restore', set, '--to', to, '--json']);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.json()).toMatchObject({ ok: true, to, databases: [{ keys: expected.size }] });
    // The restored instance is an embedded instance `dir/restored`: open it like any other and compare.
    expect(await withInstance(dir, 'restored', 'test.edb', contents)).toEqual(expected);
    // And a second backup of the restored instance works through the same --engine form.
    const again = await runCli(backupArgs(dir, 'restored', path.join(dir, 'backups', 'of-restored'), '--json', '--no-progress'));
    expect(again.json()).toMatchObject({ outcome: 'completed', verified: true });
  });

  it('prints a readable summary without --json, and no color under NO_COLOR', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 40));
    const set = path.join(dir, 'b', 'full');
    const r = await runCli(backupArgs(dir, 'main', set, '--no-progress'), {
      env: { FORCE_COLOR: '1' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^completed in [\d.]+ s: 2 files, .* log generations \d+-\d+; verified from disk$/m);
    expect(r.stdout).toContain(`set: ${set}`);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('\u001b['); // NO_COLOR wins over FORCE_COLOR
    const colored = await runCli(['list', path.dirname(set)], { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
    expect(colored.stdout).toContain('\u001b[');
  });
});

describe('ese-backup demo', () => {
  it('backs up a live instance, verifies, restores and finds every committed row (exit 0); the instance can be backed up again', async () => {
    const dir = await tempDir();
    const r = await runCli(['demo', '--dir', dir, '--size', '6', '--rate', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<{
      outcome: string;
      verify: { ok: boolean };
      restore: { rows: number; missing: number; committedBeforeLogs: number };
      database: { rows: number };
    }>();
    expect(j).toMatchObject({ outcome: 'completed', exitCode: 0, verify: { ok: true }, restore: { missing: 0, rows: 96 } });
    // `embedded:DIR` opens the instance the demo left in DIR/demo (JetInit recovers it).
    const b = await runCli(backupArgs(dir, 'demo', path.join(dir, 'backups', 'second'), '--json', '--no-progress'));
    expect(b.code, b.stderr).toBe(0);
    expect(b.json()).toMatchObject({ outcome: 'completed', verified: true });
    const list = await runCli(['list', path.join(dir, 'backups'), '--json']);
    expect((list.json() as { sets: Array<{ verified: boolean }> }).sets.map((s) => s.verified)).toEqual([true, true]);
  });

  it('--stop-after stops it: the refused calls with -801, nothing incomplete visible, exit 130', async () => {
    const dir = await tempDir();
    const r = await runCli(['demo', '--dir', dir, '--size', '8', '--rate', '4', '--stop-after', '300', '--json']);
    expect(r.code, r.stderr).toBe(130);
    const j = r.json<{
      outcome: string;
      set: string | null;
      stop: {
        reason: { source: string };
        verdicts: Array<{ api: string; kind: string; err?: number }>;
        read: { error: { err: number; code: string } };
        after: { err: number };
      };
      visible: { finalName: boolean; leftovers: string[]; sets: number };
    }>();
    expect(j).toMatchObject({ outcome: 'stopped', set: null, exitCode: 130 });
    expect(j.stop.reason.source).toBe('deadline');
    const verdict = (api: string) => j.stop.verdicts.find((v) => v.api === api);
    for (const api of ['JetReadFileInstance', 'JetOpenFileInstance', 'JetGetLogInfoInstance', 'JetTruncateLogInstance'])
      expect(verdict(api)).toMatchObject({ kind: 'refused', err: -801 });
    expect(verdict('JetEndExternalBackupInstance2')).toMatchObject({ kind: 'allowed' });
    expect(verdict('JetBeginExternalBackupInstance')).toMatchObject({ kind: 'refused', err: -505 });
    expect(j.stop.read.error).toMatchObject({ err: -801, code: 'JET_errBackupAbortByServer' });
    expect(j.stop.after).toMatchObject({ err: -520 });
    expect(j.visible).toEqual({ finalName: false, leftovers: [], sets: 0 });
    expect(fs.readdirSync(path.join(dir, 'backups'))).toEqual([]);
  });

  it('prints the refusals for people', async () => {
    const r = await runCli(['demo', '--size', '8', '--rate', '4', '--stop-after', '250', '--no-progress']);
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/^stopped by deadline 250 ms/m);
    expect(r.stdout).toMatch(/JetReadFileInstance +refused JET_errBackupAbortByServer \(-801\)/);
    expect(r.stdout).toMatch(/JetCloseFileInstance +allowed/);
    expect(r.stdout).toMatch(/a real read through the guarded session: JetReadFileInstance: JET_errBackupAbortByServer \(-801\)/);
    expect(r.stdout).toMatch(/^nothing incomplete is visible/m);
  });
});
