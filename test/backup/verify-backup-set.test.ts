import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import {
  listBackupSets,
  MANIFEST_NAME,
  runBackup,
  verifyBackupSet,
  verifyEseFile,
  type BackupManifest,
  type BackupSetReport,
} from '../../src/backup/index.js';
import type { PageSize } from '../../src/engine/index.js';
import { engineFixture, flipBit, putKeys, seeded, tempDir } from './helpers.js';

/** A full set (truncating) and an incremental set of several logs, from an instance with `pageSize` pages. */
async function twoSets(pageSize: PageSize) {
  const { engine, inst, db, work } = await engineFixture({ instance: { pageSize }, keys: 30 });
  const coordinator = createCoordinator({ api: engine });
  onTestFinished(() => coordinator.dispose());
  const full = await runBackup({ coordinator, instance: inst, to: path.join(work, 'full'), mode: 'full', truncateLogs: true });
  await putKeys(db, 30, 130, 1500, 'b-');
  const incr = await runBackup({ coordinator, instance: inst, to: path.join(work, 'incr'), mode: 'incremental' });
  expect([full.outcome, incr.outcome]).toEqual(['completed', 'completed']);
  expect(incr.set!.manifest.files.length).toBeGreaterThanOrEqual(3);
  return { work, full: full.set!.path, incr: incr.set!.path };
}

const manifestOf = (set: string): BackupManifest => JSON.parse(fs.readFileSync(path.join(set, MANIFEST_NAME), 'utf8')) as BackupManifest;
const problemsOf = (r: BackupSetReport, file: string) => r.problems.filter((p) => p.file === file);

describe('verifyBackupSet on committed sets', () => {
  it.each([4096, 16384] as const)('%i-byte pages: a fresh set verifies, every database page and log record checked', async (pageSize) => {
    const { full, incr } = await twoSets(pageSize);
    for (const set of [full, incr]) {
      const r = await verifyBackupSet(set);
      expect(r.problems).toEqual([]);
      expect(r.ok).toBe(true);
      for (const f of r.files) {
        expect(f.ese.ok).toBe(true);
        if (f.role === 'db') expect(f.ese).toMatchObject({ fileType: 'database', streamed: true, pageSize });
        if (f.role === 'log') expect(f.ese.logRecords!.records).toBeGreaterThan(0);
      }
    }
  });

  it('flipped bits and truncations at many random positions: every damaged file and every damaged database page is reported', async () => {
    const { work, full, incr } = await twoSets(16384);
    const random = seeded(2024);
    const scratchRoot = await tempDir();
    for (let round = 0; round < 40; round++) {
      const source = random.below(2) ? full : incr;
      const scratch = path.join(scratchRoot, `r${round}`);
      fs.cpSync(source, scratch, { recursive: true });
      const manifest = manifestOf(scratch);
      const names = [MANIFEST_NAME, ...manifest.files.map((f) => f.name)];
      const damaged = new Map<string, { kind: 'flip'; offsets: number[] } | { kind: 'truncate'; length: number }>();
      // The manifest is damaged alone: with it gone, damage in a log's zero tail has nothing to be measured against.
      const count = random.below(5) === 0 ? 1 : 1 + random.below(3);
      const candidates = count === 1 ? names : names.slice(1);
      while (damaged.size < Math.min(count, candidates.length)) {
        const name = candidates[random.below(candidates.length)]!;
        if (damaged.has(name)) continue;
        const file = path.join(scratch, name);
        const size = fs.statSync(file).size;
        if (random.below(4) === 0) {
          const length = random.below(size);
          fs.truncateSync(file, length);
          damaged.set(name, { kind: 'truncate', length });
        } else {
          // Up to three bits in different 16 KiB pages of the same file.
          const pages = new Set<number>();
          const offsets: number[] = [];
          for (let i = 1 + random.below(3); i > 0; i--) {
            const offset = random.below(size);
            if (pages.has(Math.floor(offset / 16384))) continue;
            pages.add(Math.floor(offset / 16384));
            offsets.push(offset);
            flipBit(file, offset, random.below(8));
          }
          damaged.set(name, { kind: 'flip', offsets });
        }
      }
      const r = await verifyBackupSet(scratch);
      expect(r.ok, `round ${round}`).toBe(false);
      for (const [name, damage] of damaged) {
        const mine = problemsOf(r, name);
        expect(
          mine.length,
          `round ${round}: ${name} ${JSON.stringify(damage)} not reported in ${JSON.stringify(r.problems)}`,
        ).toBeGreaterThan(0);
        if (name === MANIFEST_NAME) continue;
        const entry = manifest.files.find((f) => f.name === name)!;
        if (damage.kind === 'truncate') {
          expect(mine.some((p) => p.kind === 'size')).toBe(true);
          continue;
        }
        expect(
          mine.some((p) => p.kind === 'digest'),
          `round ${round}: ${name}`,
        ).toBe(true);
        for (const offset of damage.offsets) {
          if (entry.role === 'db') {
            const index = Math.floor(offset / manifest.pageSize);
            expect(
              mine.some((p) => p.kind === 'page' && p.index === index),
              `round ${round}: ${name} page ${index} in ${JSON.stringify(mine)}`,
            ).toBe(true);
            if (index >= 2 && offset < entry.size - manifest.pageSize) expect(mine.find((p) => p.index === index)!.pgno).toBe(index - 1);
          } else {
            // A log is checked record by record: the damage lies in the record reported, at or before the flipped byte.
            expect(
              mine.some((p) => p.kind === 'log' && p.index! <= Math.floor(offset / 4096)),
              `round ${round}: ${name} offset ${offset} in ${JSON.stringify(mine)}`,
            ).toBe(true);
          }
        }
      }
      // Files left alone raise nothing, unless the manifest that describes them was damaged.
      if (!damaged.has(MANIFEST_NAME)) {
        for (const name of names.filter((n) => !damaged.has(n))) expect(problemsOf(r, name), `round ${round}: ${name}`).toEqual([]);
      }
      fs.rmSync(scratch, { recursive: true });
    }
    expect(fs.readdirSync(work).sort()).toEqual(['full', 'incr']);
  });

  it('a missing manifest, a missing log, an extra file and a gap in the generations are each reported', async () => {
    const { full, incr } = await twoSets(4096);
    const manifest = manifestOf(incr);
    const logs = manifest.files.filter((f) => f.role === 'log');
    const middle = logs[1]!;
    fs.rmSync(path.join(incr, middle.name));
    fs.writeFileSync(path.join(incr, 'stray.txt'), 'x');
    const r = await verifyBackupSet(incr);
    expect(r.problems.map((p) => p.kind).sort()).toEqual(['generations', 'missing', 'unlisted']);
    expect(r.problems.find((p) => p.kind === 'generations')!.message).toContain(`missing ${middle.generation}`);

    fs.rmSync(path.join(full, MANIFEST_NAME));
    const bare = await verifyBackupSet(full);
    expect(bare.problems.map((p) => p.kind)).toEqual(['manifest']);
    expect(bare.files.map((f) => f.role).sort()).toEqual(['db', 'log']); // still checked, as ESE files
  });

  it('an edited manifest is caught by its own checksum', async () => {
    const { full } = await twoSets(4096);
    const file = path.join(full, MANIFEST_NAME);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace(/"source": "([^"]*)"/, '"source": "/elsewhere"'));
    expect((await verifyBackupSet(full)).problems).toEqual([
      {
        kind: 'manifest',
        file: MANIFEST_NAME,
        message: 'manifest: manifestSha256 does not match its content (accidental change or a hand edit)',
      },
    ]);
    fs.writeFileSync(file, text.replace('\n', '\n '));
    expect((await verifyBackupSet(full)).problems.map((p) => p.message)).toEqual([
      'manifest: the file is not the canonical text its checksum covers',
    ]);
  });
});

describe("verifyEseFile on the embedded engine's files", () => {
  it('a streamed database copy is recognised by its trailer; bits flipped in log records and in the zero tail are placed', async () => {
    const { incr, full } = await twoSets(4096);
    const db = manifestOf(full).files.find((f) => f.role === 'db')!;
    const copy = await verifyEseFile(path.join(full, db.name));
    expect(copy).toMatchObject({ ok: true, streamed: true, fileType: 'database', pageSize: 4096 });
    // The last log was rolled early by GetLogInfo: it ends in a long zero tail.
    const log = manifestOf(incr)
      .files.filter((f) => f.role === 'log')
      .at(-1)!;
    const file = path.join(incr, log.name);
    const clean = await verifyEseFile(file);
    expect(clean).toMatchObject({ ok: true, fileType: 'log', header: { generation: log.generation } });
    const { end } = clean.logRecords!;
    expect(end).toBeGreaterThan(4096);
    const tail = (Math.floor(end / 4096) + 1) * 4096 + 10;
    expect(tail).toBeLessThan(log.size - 4096);
    flipBit(file, tail, 3);
    flipBit(file, log.size - 1, 7);
    const tailDamaged = await verifyEseFile(file);
    expect(tailDamaged.badPages.map((b) => b.index)).toEqual([Math.floor(tail / 4096), log.size / 4096 - 1]);
    expect(tailDamaged.badPages[0]!.reason).toMatch(/non-zero bytes after the last record/);
    // A damaged record hides where the records end: the walk stops there.
    flipBit(file, 4096 + 12, 0); // inside the first record
    const damaged = await verifyEseFile(file);
    expect(damaged.badPages.map((b) => b.index)).toEqual([1]); // page 1: the record at 4096
    expect(damaged.badPages[0]!.reason).toMatch(/CRC-32|bad record length/);
    fs.truncateSync(file, 6000);
    expect((await verifyEseFile(file)).badPages.at(-1)!.reason).toMatch(/runs past the end of the log|bad record length|CRC-32/);
  });
});

describe('listBackupSets', () => {
  it('lists committed sets with mode, size, generations and whether they verify; never a run in progress', async () => {
    const { work, full, incr } = await twoSets(4096);
    fs.mkdirSync(path.join(work, '.incr2.partial-1-abc'));
    fs.writeFileSync(path.join(work, '.incr2.partial-1-abc', MANIFEST_NAME), '{}');
    flipBit(path.join(incr, manifestOf(incr).files[0]!.name), 5000, 1);
    const sets = await listBackupSets(work);
    expect(sets.map((s) => [s.name, s.mode, s.verified])).toEqual([
      ['full', 'full', true],
      ['incr', 'incremental', false],
    ]);
    expect(sets[0]!.size).toBe(manifestOf(full).files.reduce((n, f) => n + f.size, 0));
    expect(sets[1]!.logGenerations).toEqual(manifestOf(incr).logGenerations);
    expect((await listBackupSets(work, { verify: false })).map((s) => s.verified)).toEqual([undefined, undefined]);
  });
});
