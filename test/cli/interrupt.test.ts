import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { logFiles, makeInstance, putRows, runCli, runLeftovers, startCli, tempDir, backupArgs } from './cli-helpers.js';

describe('ese-backup backup: interrupted', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s mid-backup: exit 130, outcome stopped, no set under the final name, no log truncated',
    async (signal) => {
      const dir = await tempDir();
      // 6 MiB of rows read at 4 MiB/s: the database phase lasts over a second.
      await makeInstance(dir, 'main', (db) => putRows(db, 0, 1536, 4000));
      const instanceDir = path.join(dir, 'main');
      const logsBefore = logFiles(instanceDir);
      expect(logsBefore.length).toBeGreaterThan(3);
      const set = path.join(dir, 'backups', 'full-1');

      const cli = startCli(backupArgs(dir, 'main', set, '--truncate-logs', '--rate', '4', '--read-size', '65536', '--json'));
      await cli.stderrLine(/^progress: [1-9]\d*%/); // the database is being read
      expect(fs.readdirSync(path.dirname(set)).filter((n) => n.startsWith('.full-1.partial-'))).toHaveLength(1);
      cli.proc.kill(signal);
      const r = await cli.done;

      expect(r.code, r.stderr).toBe(130);
      const j = r.json<{
        outcome: string;
        set: string | null;
        truncated: boolean;
        signal: string;
        stopReason: { source: string; detail: string };
      }>();
      expect(j).toMatchObject({
        outcome: 'stopped',
        exitCode: 130,
        set: null,
        truncated: false,
        signal,
        stopReason: { source: 'signal', detail: signal },
      });
      expect(fs.existsSync(set)).toBe(false);
      expect(runLeftovers(path.dirname(set))).toEqual([]); // the temporary directory and the lock are gone too
      const logsAfter = logFiles(instanceDir);
      for (const log of logsBefore) expect(logsAfter).toContain(log);

      // The instance is fine: the next backup (truncating) completes, and only then are logs truncated.
      const next = await runCli(backupArgs(dir, 'main', set, '--truncate-logs', '--json', '--no-progress'));
      expect(next.code, next.stderr).toBe(0);
      expect(next.json()).toMatchObject({ outcome: 'completed', truncated: true, verified: true });
      expect(logFiles(instanceDir).length).toBeLessThan(logsBefore.length);
    },
  );

  it('a stop after --stop-after: exit 130 and the reason is the deadline', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 800, 4000));
    const set = path.join(dir, 'backups', 'full-1');
    const r = await runCli(backupArgs(dir, 'main', set, '--rate', '2', '--stop-after', '200'));
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/^stopped: deadline 200 ms; session: End2\(Abort\); nothing under .*full-1; no log truncated$/m);
    expect(r.stderr).toMatch(/^phase: done \(stopped\)$/m);
    expect(fs.readdirSync(path.dirname(set))).toEqual([]);
  });

  it('--stop-after 0 counts from Begin: the stop lands on the session (End2(Abort)), never before it', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 40, 4000));
    const set = path.join(dir, 'backups', 'full-1');
    const r = await runCli(backupArgs(dir, 'main', set, '--stop-after', '0', '--json', '--no-progress'));
    expect(r.code, r.stderr).toBe(130);
    expect(r.json()).toMatchObject({ outcome: 'stopped', set: null, end: 'abort', stopReason: { source: 'deadline', detail: '0 ms' } });
    expect(fs.existsSync(set)).toBe(false);
  });
});
