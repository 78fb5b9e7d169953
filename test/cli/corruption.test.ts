import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eseRealDir } from '../engine/format/ese-fixtures.js';
import { makeInstance, putRows, runCli, tempDir, backupArgs } from './cli-helpers.js';

interface VerifyJson {
  ok: boolean;
  exitCode: number;
  sets: Array<{ path: string; ok: boolean; problems: Array<{ kind: string; file?: string; index?: number; message: string }> }>;
  files: Array<{
    path: string;
    ok: boolean;
    fileType: string;
    pageSize: number;
    pagesWithContent: number;
    gzip: boolean;
    badPages: Array<{ index: number; pgno: number | null }>;
  }>;
}

function flipBit(file: string, offset: number, bit: number): void {
  const bytes = fs.readFileSync(file);
  bytes[offset]! ^= 1 << bit;
  fs.writeFileSync(file, bytes);
}

describe('ese-backup verify: damaged committed sets', () => {
  it('a flipped bit or a truncation at random positions of every file is reported, with its database page; exit 1', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 200, 3000));
    const set = path.join(dir, 'sets', 'full');
    const backup = await runCli(backupArgs(dir, 'main', set, '--json', '--no-progress'));
    expect(backup.code, backup.stderr).toBe(0);
    const files = fs.readdirSync(set);
    expect(files).toContain('manifest.json');
    const pageSize = 4096;
    let seed = 7;
    const below = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;

    const damaged: Array<{ set: string; file: string; how: 'flip' | 'truncate'; offset: number }> = [];
    for (let i = 0; i < 30; i++) {
      const copy = path.join(dir, 'damaged', `d${i}`);
      fs.cpSync(set, copy, { recursive: true });
      const file = files[i % files.length]!; // every file of the set, in turn
      const target = path.join(copy, file);
      const size = fs.statSync(target).size;
      const how = i % 4 === 3 ? 'truncate' : 'flip';
      const offset = below(size);
      if (how === 'flip') flipBit(target, offset, below(8));
      else fs.truncateSync(target, offset);
      damaged.push({ set: copy, file, how, offset });
    }

    const good = await runCli(['verify', set]);
    expect(good.code, good.stdout).toBe(0);
    expect(good.stdout).toMatch(/^ok +.*full: full, \d+ files/m);

    const r = await runCli(['verify', set, ...damaged.map((d) => d.set), '--json']);
    expect(r.code).toBe(1);
    const j = r.json<VerifyJson>();
    expect(j).toMatchObject({ ok: false, exitCode: 1 });
    expect(j.sets[0]).toMatchObject({ path: set, ok: true });
    for (const [i, d] of damaged.entries()) {
      const report = j.sets[i + 1]!;
      const what = `${d.how} of ${d.file} at ${d.offset}`;
      expect(report.ok, what).toBe(false);
      if (d.file === 'manifest.json') {
        expect(
          report.problems.some((p) => p.kind === 'manifest'),
          what,
        ).toBe(true);
        continue;
      }
      const mine = report.problems.filter((p) => p.file === d.file);
      expect(
        mine.some((p) => p.kind === (d.how === 'flip' ? 'digest' : 'size')),
        what,
      ).toBe(true);
      // A flipped bit in a database is also found by the page checksums, at its page.
      if (d.how === 'flip' && d.file.endsWith('.edb'))
        expect(
          mine.some((p) => p.kind === 'page' && p.index === Math.floor(d.offset / pageSize)),
          what,
        ).toBe(true);
    }

    const human = await runCli(['verify', damaged[0]!.set]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^FAILED .*d0: .*problem\(s\)$/m);
    expect(human.stdout).toMatch(/^ {2}- /m);
  });
});

describe('ese-backup verify --file: single ESE files made by Windows', () => {
  const fixtures = eseRealDir();
  const fixture = (name: string) => path.join(fixtures, name);

  it('verifies real databases, logs, checkpoints and a .gz; the negative 8 KiB case fails with every page listed', async () => {
    const ok = await runCli([
      'verify',
      '--file',
      fixture('museum_win10_rathbunvm_clean_SRUDB.dat'),
      fixture('museum_win10_rathbunvm_clean_SRU.log'),
      fixture('museum_win10_rathbunvm_clean_SRU.chk'),
      fixture('museum_win10_search_clean_Windows.edb.gz'),
      fixture('goese_qmgr.db'),
      '--json',
    ]);
    expect(ok.code, ok.stdout).toBe(0);
    const files = ok.json<VerifyJson>().files;
    expect(files.map((f) => [f.fileType, f.pageSize, f.ok])).toEqual([
      ['database', 4096, true],
      ['log', 4096, true],
      ['checkpoint', 4096, true],
      ['database', 32768, true],
      ['database', 16384, true],
    ]);
    expect(files[0]!.pagesWithContent).toBe(104);
    expect(files[3]).toMatchObject({ gzip: true, pagesWithContent: 211 });

    const bad = await runCli(['verify', '--file', fixture('museum_w2012r2_ntds_temp.edb'), '--json']);
    expect(bad.code).toBe(1);
    const [f] = bad.json<VerifyJson>().files;
    expect(f).toMatchObject({ ok: false, fileType: 'database', pageSize: 8192 });
    expect(f!.badPages).toHaveLength(234);
    const text = await runCli(['verify', '--file', fixture('museum_w2012r2_ntds_temp.edb')]);
    expect(text.stdout).toMatch(/^FAILED .*ntds_temp\.edb: database, 8192-byte pages, .*234 bad page\(s\)$/m);
    expect(text.stdout).toMatch(/… and 214 more \(--json lists every one\)/);
  });

  it('a flipped bit in a Windows database page is reported with its page number', async () => {
    const dir = await tempDir();
    const copy = path.join(dir, 'SRUDB.dat');
    fs.copyFileSync(fixture('museum_win10_rathbunvm_clean_SRUDB.dat'), copy);
    // The first data page with content after the header and shadow.
    const bytes = fs.readFileSync(copy);
    let index = 2;
    while (bytes.subarray(index * 4096, (index + 1) * 4096).every((b) => b === 0)) index++;
    flipBit(copy, index * 4096 + 1000, 3);
    const r = await runCli(['verify', '--file', copy, '--json']);
    expect(r.code).toBe(1);
    expect(r.json<VerifyJson>().files[0]!.badPages).toEqual([expect.objectContaining({ index, pgno: index - 1 })]);
  });
});
