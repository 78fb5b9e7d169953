import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyBackupSet } from '../../src/backup/index.js';

// A full set written by ese-backup as it was before commit fa0bfcc (2 December 2026): the embedded
// engine did not yet record signLog in its logs or backup trailers. Made with `git archive fa0bfcc^`
// and that tree's runBackup (12 keys, 64 KiB logs); its manifest names ese-backup 0.1.0, as today's do.
const set = fileURLToPath(new URL('./fixtures/pre-signlog-set', import.meta.url));

describe('a set written before log signatures were recorded', () => {
  it('fails verify with the cause (an older ese-backup, or altered logs) and what to do (a new full backup)', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(set, 'manifest.json'), 'utf8')) as { tool: { version: string } };
    expect(manifest.tool.version).toBe('0.1.0');
    const report = await verifyBackupSet(set);
    expect(report.ok).toBe(false);
    // Only the missing signatures are wrong: sizes, hashes, pages and log checksums all pass.
    expect(report.problems.map((p) => p.kind)).toEqual(['identity', 'identity']);
    expect(report.problems[0]!.message).toBe(
      'the logs carry no log signature (signLog is all zeros): the databases cannot be tied to them; the set was written by an ese-backup ' +
        'from before 2 December 2026, when the embedded engine began to record log signatures (its manifest names ese-backup 0.1.0, a ' +
        'number that did not change then), or its logs were altered: this version cannot verify or restore it; take a new full backup',
    );
    expect(report.problems[1]!.message).toBe(
      "test.edb records no log signature (signLog) in its header or trailer: it cannot be tied to the set's logs (see above: an older ese-backup, or altered)",
    );
  });
});
