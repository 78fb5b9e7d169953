import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { seedLabel, testSeed } from '../support/test-seed.js';
import { contents, makeInstance, putRows, runCli, runLeftovers, startCli, tempDir, withInstance, backupArgs } from './cli-helpers.js';

const RUNS = 56;

/** A seeded generator, so a failing run can be replayed (the seed is in the test's name: ESE_BACKUP_SEED). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
}
const seed = testSeed();

describe('ese-backup backup: SIGKILL at random points, then clean', () => {
  it(
    `${RUNS} killed runs leave nothing visible as complete; clean removes the orphans; the next backup succeeds (${seedLabel(seed)})`,
    { timeout: 170_000 },
    async () => {
      const rand = random(seed);
      const dir = await tempDir();
      await makeInstance(dir, 'main', (db) => putRows(db, 0, 240, 4000));
      const expected = await withInstance(dir, 'main', 'test.edb', contents);
      const backups = path.join(dir, 'backups');
      const outcomes = { killed: 0, completed: 0, killedBeforeStart: 0, killedAfterCommit: 0 };

      for (let i = 0; i < RUNS; i++) {
        // About 1 MiB read at 4 MiB/s: the run reads for ~0.25 s, then commits, verifies (and truncates).
        const args = backupArgs(
          dir,
          'main',
          path.join(backups, `set-${i}`),
          '--rate',
          '4',
          '--read-size',
          '16384',
          ...(i % 2 ? ['--truncate-logs'] : []),
        );
        const cli = startCli(args);
        // The last run is killed mid-read for certain, so that `clean` below has an orphan to remove
        // (each run's start removes what earlier killed runs left).
        const r = i === RUNS - 1 ? -1 : rand();
        if (r < 0) {
          await cli.stderrLine(/^progress: /);
        } else if (r < 0.15) {
          await sleep(rand() * 600); // during start-up, recovery or the orphan clean-up
        } else if (r < 0.3) {
          await cli.stderrLine(/^phase: (committing|verifying|truncating|ending|done)/).catch(() => undefined);
        } else {
          await cli.stderrLine(/^phase: starting/).catch(() => undefined);
          await sleep(rand() * 400);
        }
        cli.proc.kill('SIGKILL');
        const end = await cli.done;
        if (end.code === 0) outcomes.completed++;
        else {
          expect(end.signal, end.stderr).toBe('SIGKILL');
          outcomes.killed++;
          if (!end.stderr.includes('phase: starting')) outcomes.killedBeforeStart++;
          if (fs.existsSync(path.join(backups, `set-${i}`))) outcomes.killedAfterCommit++;
        }
      }
      expect(outcomes.killed).toBeGreaterThan(RUNS / 2);

      // Nothing visible as complete that is not: every name without a dot verifies.
      const visible = fs.existsSync(backups) ? fs.readdirSync(backups).filter((n) => !n.startsWith('.')) : [];
      if (visible.length > 0) {
        const verify = await runCli(['verify', ...visible.map((n) => path.join(backups, n)), '--json']);
        expect(verify.code, verify.stdout).toBe(0);
      }
      const listed = await runCli(['list', backups, '--json']);
      const sets = listed.json<{ sets: Array<{ name: string; verified: boolean }> }>().sets;
      expect(sets.map((s) => s.name).sort()).toEqual([...visible].sort());
      expect(sets.every((s) => s.verified)).toBe(true);

      // clean removes every leftover of the killed runs, and touches no set.
      const leftovers = runLeftovers(backups);
      // The lock, and the temporary directory it names ('lock' sorts before 'partial').
      expect(leftovers.filter((n) => n.startsWith(`.set-${RUNS - 1}.`)).sort()).toEqual([
        `.set-${RUNS - 1}.lock`,
        expect.stringMatching(new RegExp(`^\\.set-${RUNS - 1}\\.partial-\\d+-[0-9a-f]+$`)),
      ]);
      const clean = await runCli(['clean', backups, '--json']);
      expect(clean.code, clean.stderr).toBe(0);
      const report = clean.json<{ removed: string[]; kept: unknown[]; sessions: Array<{ set: string; instance: { name?: string } }> }>();
      expect(report.kept).toEqual([]);
      // The session the killed run had open is named (it ended with its process: an instance is per process).
      expect(report.sessions).toContainEqual(
        expect.objectContaining({ set: path.join(backups, `set-${RUNS - 1}`), instance: expect.objectContaining({ name: 'main' }) }),
      );
      expect(report.removed.map((p) => path.basename(p)).sort()).toEqual([...leftovers].sort());
      expect(runLeftovers(backups)).toEqual([]);
      expect(fs.readdirSync(backups).sort()).toEqual([...visible].sort());

      // The next backup succeeds and restores to exactly the committed data.
      const last = path.join(backups, 'after-clean');
      const next = await runCli(backupArgs(dir, 'main', last, '--json', '--no-progress'));
      expect(next.code, next.stderr).toBe(0);
      expect(next.json()).toMatchObject({ outcome: 'completed', verified: true });
      const restore = await runCli(['restore', last, '--to', path.join(dir, 'restored'), '--json']);
      expect(restore.code, restore.stderr).toBe(0);
      expect(await withInstance(dir, 'restored', 'test.edb', contents)).toEqual(expected);
      console.log(
        `kill runs (seed ${seed}): ${JSON.stringify(outcomes)}; ${leftovers.length} leftovers cleaned, ${visible.length} committed sets`,
      );
    },
  );
});
