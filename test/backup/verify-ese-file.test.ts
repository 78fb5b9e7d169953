import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { verifyEseBytes } from '../../src/engine/format/verify-ese-bytes.js';
import { EseFileVerifier, verifyEseFile } from '../../src/backup/index.js';
import { eseRealDir, eseRealFiles, goodDatabases, readEseReal, seeded, tempDir } from './helpers.js';

const headers = [
  ['museum_win10_rathbunvm_clean_SRU.log', 'log', 9],
  ['museum_win10_rathbunvm_clean_SRU00008.log', 'log', 8],
  ['museum_win10_rathbunvm_clean_SRU.chk', 'checkpoint', 9],
  ['museum_w2012r2_ntds_edb.chk', 'checkpoint', 3],
] as const;

/** Writes `bytes` to a temp file named `name` (gzipped when it ends in .gz). */
async function writeCopy(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(await tempDir(), name);
  fs.writeFileSync(file, name.endsWith('.gz') ? gzipSync(bytes, { level: 1 }) : bytes);
  return file;
}

describe('verifyEseFile on every real Windows file of the fixtures', () => {
  it('covers every fixture file', () => {
    const named = [...goodDatabases.map(([n]) => n), ...headers.map(([n]) => n), 'museum_w2012r2_ntds_temp.edb'];
    expect(eseRealFiles()).toEqual([...named].sort());
  });

  it.each(goodDatabases)('%s: %i-byte pages, state %i, %i pages with content, all verify', async (name, pageSize, state, content) => {
    const r = await verifyEseFile(path.join(eseRealDir(), name));
    expect(r).toMatchObject({
      fileType: 'database',
      pageSize,
      pagesWithContent: content,
      streamed: false,
      ok: true,
      badPages: [],
      gzip: name.endsWith('.gz'),
    });
    expect(r.header).toMatchObject({ state, checksumOk: true });
    expect(r.pages * pageSize).toBe(r.bytes);
  });

  it('museum_w2012r2_ntds_temp.edb: 8 KiB pages, state 1, header and shadow verify, none of the 234 content pages does', async () => {
    const r = await verifyEseFile(path.join(eseRealDir(), 'museum_w2012r2_ntds_temp.edb'));
    expect(r).toMatchObject({ fileType: 'database', pageSize: 8192, pages: 258, pagesWithContent: 234, ok: false });
    expect(r.header).toMatchObject({ state: 1, checksumOk: true });
    expect(r.badPages).toHaveLength(234);
    expect(r.badPages.every((bad) => bad.index >= 2 && bad.pgno === bad.index - 1)).toBe(true);
  });

  it.each(headers)('%s: %s header verifies at generation %i', async (name, fileType, generation) => {
    const r = await verifyEseFile(path.join(eseRealDir(), name));
    expect(r).toMatchObject({ fileType, ok: true, badPages: [], header: { generation, checksumOk: true } });
    expect(r.logRecords).toBeUndefined(); // Windows' log records are not ours to walk
  });

  it('gives the same pages as verifyEseBytes, whatever the chunk sizes', () => {
    const random = seeded(7);
    for (const name of eseRealFiles().filter((n) => !n.endsWith('.gz'))) {
      const bytes = readEseReal(name);
      const v = new EseFileVerifier({ streamed: false });
      for (let at = 0; at < bytes.length;) {
        const n = 1 + random.below(random.below(2) ? 100 : 50_000);
        v.push(bytes.subarray(at, at + n));
        at += n;
      }
      const expected = verifyEseBytes(bytes);
      const r = v.finish();
      expect({ name, bad: r.badPages, content: r.pagesWithContent, pages: r.pages }).toEqual({
        name,
        bad: expected.badPages,
        content: expected.pagesWithContent,
        pages: expected.pages,
      });
    }
  });
});

describe('verifyEseFile finds every flipped bit', () => {
  it.each(goodDatabases)(
    '%s: bits flipped in the header or the shadow and in many content pages are each reported with its page',
    async (name, pageSize) => {
      const original = readEseReal(name);
      const random = seeded(original.length);
      const content = [...Array(original.length / pageSize).keys()].filter(
        (i) => i >= 2 && original.subarray(i * pageSize, (i + 1) * pageSize).some((b) => b !== 0),
      );
      for (const header of [0, 1]) {
        const bytes = original.slice();
        const targets = new Set<number>([header]);
        while (targets.size < Math.min(content.length, 30)) targets.add(content[random.below(content.length)]!);
        for (const index of targets) bytes[index * pageSize + random.below(pageSize)]! ^= 1 << random.below(8);
        const r = await verifyEseFile(await writeCopy(name, bytes));
        expect(r.badPages.map((bad) => [bad.index, bad.pgno])).toEqual(
          [...targets].sort((a, b) => a - b).map((i) => [i, i >= 2 ? i - 1 : null]),
        );
        // With page 0 damaged, the fields come from the shadow.
        expect(r).toMatchObject({ headerIndex: header === 0 ? 1 : 0, pageSize, fileType: 'database', ok: false });
      }
    },
  );

  it.each(headers)('%s: a bit flipped in the %s header is reported as page 0', async (name, fileType) => {
    const original = readEseReal(name);
    const bytes = original.slice();
    const random = seeded(name.length);
    for (let round = 0; round < 8; round++) {
      const at = random.below(4096);
      bytes[at]! ^= 1 << random.below(8);
      const r = await verifyEseFile(await writeCopy(name, bytes));
      expect(r.ok).toBe(false);
      expect(r.badPages[0]).toMatchObject({ index: 0, pgno: null });
      if (at !== 667 && at !== 668 && at !== 669 && at !== 670) expect(r.badPages[0]!.reason).toBe(`${fileType} header checksum mismatch`);
      bytes[at] = original[at]!;
    }
  });

  it('a truncated Windows log or database is reported', async () => {
    const log = readEseReal('museum_win10_rathbunvm_clean_SRU.log');
    const r = await verifyEseFile(await writeCopy('SRU.log', log.subarray(0, 40960)));
    expect(r.badPages.map((b) => b.reason)).toEqual(['the log is 40960 bytes; its header says 65536']);
    const db = readEseReal('goese_qmgr.db');
    const cut = await verifyEseFile(await writeCopy('qmgr.db', db.subarray(0, 16384 * 10 + 1000)));
    expect(cut.badPages).toEqual([{ index: 10, pgno: null, reason: 'partial page: 1000 bytes after the last whole page' }]);
    const tiny = await verifyEseFile(await writeCopy('tiny.edb', db.subarray(0, 100)));
    expect(tiny).toMatchObject({ ok: false, fileType: 'unknown', badPages: [{ index: 0 }] });
  });

  it('a damaged .gz is reported, not thrown', async () => {
    const packed = fs.readFileSync(path.join(eseRealDir(), 'museum_win10_search_clean_Windows.edb.gz'));
    const cut = path.join(await tempDir(), 'cut.edb.gz');
    fs.writeFileSync(cut, packed.subarray(0, packed.length >> 1));
    const r = await verifyEseFile(cut);
    expect(r.ok).toBe(false);
    expect(r.badPages.at(-1)!.reason).toMatch(/gzip stream is damaged/);
  });

  it('rejects a missing file and a bad path argument', async () => {
    await expect(verifyEseFile(path.join(await tempDir(), 'none.edb'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(verifyEseFile('' as string)).rejects.toBeInstanceOf(TypeError);
  });
});
