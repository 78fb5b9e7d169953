import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeInstance, putRows, runCli, tempDir, backupArgs } from './cli-helpers.js';

describe('ese-backup backup --to: the destination is looked at without following links', () => {
  it('a dangling symbolic link is refused up front (exit 2), before the instance is backed up', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 10));
    const to = path.join(dir, 'set');
    fs.symlinkSync(path.join(dir, 'nowhere'), to);
    const r = await runCli(backupArgs(dir, 'main', to, '--no-progress'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `--to ${to} is a symbolic link (to ${path.join(dir, 'nowhere')}): a backup set is never written through a link`,
    );
    expect(fs.readdirSync(dir).sort()).toEqual(['main', 'set']);
  });
});
