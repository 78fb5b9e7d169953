import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANIFEST_NAME, serializeBackupManifest, type BackupManifest } from '../../src/backup/index.js';
import { makeInstance, putRows, runCli, tempDir, backupArgs } from './cli-helpers.js';

const manifestOf = (set: string) => JSON.parse(fs.readFileSync(path.join(set, MANIFEST_NAME), 'utf8')) as BackupManifest;

describe('ese-backup on hostile sets (issue 9, items 3-5)', () => {
  it('--sign-key: signed by backup, "signature not checked" without the key, valid with it, exit 1 with another; a swapped database is refused by verify, list and restore (exit 1), the target left as it was', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 60));
    await makeInstance(dir, 'other', (db) => putRows(db, 0, 60, 1500, 'o-'));
    const key = path.join(dir, 'sign.key');
    const wrong = path.join(dir, 'wrong.key');
    fs.writeFileSync(key, Buffer.alloc(32, 1));
    fs.writeFileSync(wrong, Buffer.alloc(32, 2));
    const set = path.join(dir, 'backups', 'full-1');
    const foreign = path.join(dir, 'foreign', 'full-1');
    const [signed, other] = await Promise.all([
      runCli(backupArgs(dir, 'main', set, '--sign-key', key, '--json', '--no-progress')),
      runCli(backupArgs(dir, 'other', foreign, '--json', '--no-progress')),
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(other.code, other.stderr).toBe(0);
    expect(fs.readFileSync(path.join(set, 'manifest.sig'), 'utf8')).toMatch(/^hmac-sha256 [0-9a-f]{64}\n$/);

    const [plain, withKey, withWrong, shortKey] = await Promise.all([
      runCli(['verify', set]),
      runCli(['verify', set, '--sign-key', key, '--json']),
      runCli(['verify', set, '--sign-key', wrong, '--json']),
      runCli(['verify', set, '--sign-key', path.join(dir, 'backups')]),
    ]);
    expect(plain.code, plain.stdout).toBe(0);
    expect(plain.stdout).toMatch(/signed, signature not checked \(no --sign-key\)/);
    expect(withKey.code, withKey.stdout).toBe(0);
    expect(withKey.json()).toMatchObject({ ok: true, sets: [{ signature: 'valid' }] });
    expect(withWrong.code).toBe(1);
    expect(withWrong.json()).toMatchObject({ ok: false, sets: [{ signature: 'invalid' }] });
    expect(shortKey.code).toBe(2);
    expect(shortKey.stderr).toMatch(/--sign-key: .* not a regular file/);

    // Swap in the other instance's database and re-hash the manifest (no key: the checksum cannot tell).
    const db = manifestOf(set).files.find((f) => f.role === 'db')!;
    const otherDb = manifestOf(foreign).files.find((f) => f.role === 'db')!;
    fs.copyFileSync(path.join(foreign, otherDb.name), path.join(set, db.name));
    const m = manifestOf(set);
    Object.assign(
      m.files.find((f) => f.name === db.name)!,
      { size: otherDb.size, sha256: otherDb.sha256, blake3: otherDb.blake3 },
    );
    fs.writeFileSync(path.join(set, MANIFEST_NAME), serializeBackupManifest(m));
    const to = path.join(dir, 'restored');
    const [verify, list, restore] = await Promise.all([
      runCli(['verify', set, '--json']),
      runCli(['list', path.dirname(set), '--json']),
      runCli(['restore', set, '--to', to]),
    ]);
    expect(verify.code).toBe(1);
    expect(JSON.stringify(verify.json())).toMatch(/belongs to another instance/);
    expect(list.code).toBe(1);
    expect(list.json()).toMatchObject({ ok: false, sets: [{ name: 'full-1', verified: false }] });
    expect(restore.code).toBe(1);
    expect(restore.stdout).toMatch(/not restored/);
    expect(restore.stdout).toMatch(/was left as it was: the restore can be retried/);
    expect(fs.existsSync(to)).toBe(false);
  }, 240_000);
});
