import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackupSetRestoreError,
  listBackupSets,
  MANIFEST_NAME,
  MANIFEST_SIGNATURE_FILE,
  parseBackupManifest,
  restoreBackupSet,
  verifyBackupSet,
  verifyEseFile,
  type RestoreFs,
} from '../../src/backup/index.js';
import { realRestoreFs } from '../../src/backup/restore-fs.js';
import { canMkfifo, committedSet, incrementalSet, mkfifo, readManifest, rehashManifest, within } from './hostile-helpers.js';
import { contents, tempDir } from './helpers.js';
import { requireAllPrerequisites } from '../support/prerequisite.js';

// mkfifo (coreutils) makes the FIFOs; in CI (every prerequisite required) a missing one fails these tests.
const fifoOk = canMkfifo() || requireAllPrerequisites;
if (!fifoOk) console.warn('hostile-sets: mkfifo is missing, FIFO cases skipped (install: apt-get install coreutils)');
// A bound on hangs, not a speed goal: generous for a loaded two-core machine.
const LIMIT = 30_000;

describe('hostile sets: bounded answers (issue 9, item 4)', () => {
  it.each([
    ['2^53', 2 ** 53],
    ['3e7', 3e7],
  ])('a logGenerations range of %s with no log listed: a problem, at once, for verify and list', async (_label, high) => {
    const { set, work } = await committedSet();
    rehashManifest(set, (m) => {
      for (const f of m.files.filter((f) => f.role === 'log')) fs.rmSync(path.join(set, f.name));
      m.files = m.files.filter((f) => f.role !== 'log');
      m.logGenerations = { low: 1, high };
    });
    const started = performance.now();
    const r = await within(verifyBackupSet(set), LIMIT, 'verify');
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(
      high > 2 ** 31 ? /logGenerations must be null or/ : /logGenerations 1-30000000 but no log is listed/,
    );
    const [listed] = await within(listBackupSets(work), LIMIT, 'list');
    expect(listed).toMatchObject({ verified: false });
    expect(performance.now() - started).toBeLessThan(LIMIT);
  });

  it('a manifest range that differs from the listed logs is a problem, and gaps are reported as ranges', async () => {
    const { set } = await incrementalSet();
    const m = readManifest(set);
    const gens = m.files.filter((f) => f.role === 'log').map((f) => f.generation!);
    expect(gens.length).toBeGreaterThanOrEqual(3);
    const text = JSON.stringify({ ...m, logGenerations: { low: gens[0]!, high: gens.at(-1)! + 5 } });
    expect(parseBackupManifest(text).problems.join('\n')).toMatch(/differ from the listed logs' range/);
    // A middle log removed from the set and from the manifest: the gap shows.
    const middle = m.files.find((f) => f.generation === gens[1])!;
    rehashManifest(set, (mm) => void (mm.files = mm.files.filter((f) => f.name !== middle.name)));
    fs.rmSync(path.join(set, middle.name));
    const r = await verifyBackupSet(set);
    expect(r.problems.map((p) => p.message)).toContain(`log generations ${gens[0]}-${gens.at(-1)} are not contiguous: missing ${gens[1]}`);
  });

  it.skipIf(!fifoOk)(
    'manifest.json as a FIFO, as a symlink to /dev/zero, as a directory, too large: a clear problem, never a hang',
    async () => {
      const { set, work } = await committedSet();
      const manifest = path.join(set, MANIFEST_NAME);
      const cases: Array<[string, () => void, RegExp]> = [
        ['FIFO', () => mkfifo(manifest), /a FIFO, not a regular file/],
        [
          'symlink to /dev/zero',
          () => (fs.rmSync(manifest, { recursive: true, force: true }), fs.symlinkSync('/dev/zero', manifest)),
          /symbolic link: not followed/,
        ],
        [
          'directory',
          () => (fs.rmSync(manifest, { recursive: true, force: true }), fs.mkdirSync(manifest)),
          /a directory, not a regular file/,
        ],
        [
          '17 MiB',
          () => (
            fs.rmSync(manifest, { recursive: true, force: true }),
            fs.writeFileSync(manifest, ''),
            fs.truncateSync(manifest, 17 * 1024 * 1024)
          ),
          /more than the 16777216 allowed/,
        ],
        [
          'not UTF-8',
          () => (fs.rmSync(manifest, { recursive: true, force: true }), fs.writeFileSync(manifest, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))),
          /not UTF-8/,
        ],
      ];
      for (const [label, make, expected] of cases) {
        make();
        const r = await within(verifyBackupSet(set), LIMIT, `verify (${label})`);
        expect(r.ok, label).toBe(false);
        expect(r.problems.find((p) => p.kind === 'manifest')?.message, label).toMatch(expected);
        const listed = await within(listBackupSets(work), LIMIT, `list (${label})`);
        expect(listed[0], label).toMatchObject({ verified: false, error: expect.stringMatching(expected) });
      }
    },
  );

  it.skipIf(!fifoOk)(
    'data files as FIFO, symlink to /dev/zero, directory, cyclic symlink, and a non-UTF-8 name: problems, nothing opened that could block',
    async () => {
      const { set } = await incrementalSet();
      const m = readManifest(set);
      const [db, log1, log2, log3] = m.files.filter((f) => f.role === 'log');
      mkfifo(path.join(set, db!.name));
      fs.rmSync(path.join(set, log1!.name));
      fs.symlinkSync('/dev/zero', path.join(set, log1!.name));
      fs.rmSync(path.join(set, log2!.name));
      fs.mkdirSync(path.join(set, log2!.name));
      fs.rmSync(path.join(set, log3!.name));
      fs.symlinkSync(log3!.name, path.join(set, log3!.name));
      fs.writeFileSync(Buffer.concat([Buffer.from(`${set}/bad-`), Buffer.from([0xff, 0xfe])]), 'x');
      const r = await within(verifyBackupSet(set), LIMIT, 'verify');
      const about = (name: string) =>
        r.problems
          .filter((p) => p.file === name)
          .map((p) => p.message)
          .join('\n');
      expect(about(db!.name)).toMatch(/is a FIFO, not a regular file: not opened/);
      expect(about(log1!.name)).toMatch(/is a symbolic link, not a regular file/);
      expect(about(log2!.name)).toMatch(/is a directory, not a regular file/);
      expect(about(log3!.name)).toMatch(/is a symbolic link, not a regular file/);
      expect(r.problems.map((p) => p.message).join('\n')).toMatch(/name is not UTF-8 \(bytes 6261642dfffe\)/);
    },
  );

  it.skipIf(!fifoOk)('verifyEseFile refuses a FIFO or a device at once instead of blocking or reading forever', async () => {
    const dir = await tempDir();
    mkfifo(path.join(dir, 'pipe.edb'));
    await expect(within(verifyEseFile(path.join(dir, 'pipe.edb')), LIMIT, 'verifyEseFile')).rejects.toThrow(
      /is a FIFO, not a regular file/,
    );
    await expect(within(verifyEseFile('/dev/zero'), LIMIT, 'verifyEseFile')).rejects.toThrow(/is a character device, not a regular file/);
  });

  it('enormous sparse files: against the manifest not read (size differs); without a manifest not read past 1 GiB', async () => {
    const { set } = await committedSet();
    const log = readManifest(set).files.find((f) => f.role === 'log')!;
    fs.truncateSync(path.join(set, log.name), 64 * 1024 ** 3);
    const started = performance.now();
    const listed = await within(verifyBackupSet(set), LIMIT, 'verify');
    expect(listed.problems.find((p) => p.file === log.name)?.message).toMatch(
      /is 68719476736 bytes; the manifest says \d+ \(not read further\)/,
    );
    fs.rmSync(path.join(set, MANIFEST_NAME));
    const bare = await within(verifyBackupSet(set), LIMIT, 'verify');
    expect(bare.problems.find((p) => p.file === log.name)?.message).toMatch(/no usable manifest says what it should be: not read/);
    expect(performance.now() - started).toBeLessThan(LIMIT);
  });

  it('thousands of bad manifest entries: the problems are capped in number and length', async () => {
    const { set } = await committedSet();
    rehashManifest(set, (m) => {
      for (let i = 0; i < 5000; i++)
        m.files.push({ name: `${'n'.repeat(2000)}${i}`, role: 'log', size: -1, sha256: 'x', source: '', generation: 0 });
    });
    const r = await within(verifyBackupSet(set), LIMIT, 'verify');
    expect(r.problems.length).toBeLessThanOrEqual(501);
    expect(r.problems.every((p) => p.message.length <= 600)).toBe(true);
    expect(r.problems.at(-1)?.message).toMatch(/more problems/);
  });
});

describe('hostile sets: manifest semantics (issue 9, item 3)', () => {
  it("a database swapped for another instance's, manifest re-hashed: verify names it, restore refuses and leaves no target", async () => {
    const a = await committedSet({ name: 'a' });
    const b = await committedSet({ name: 'b' });
    const dbA = readManifest(a.set).files.find((f) => f.role === 'db')!;
    const dbB = readManifest(b.set).files.find((f) => f.role === 'db')!;
    fs.copyFileSync(path.join(b.set, dbB.name), path.join(a.set, dbA.name));
    rehashManifest(a.set, (m) =>
      Object.assign(
        m.files.find((f) => f.name === dbA.name)!,
        { size: dbB.size, sha256: dbB.sha256, blake3: dbB.blake3 },
      ),
    );
    const r = await verifyBackupSet(a.set);
    expect(r.ok).toBe(false);
    expect(
      r.problems
        .filter((p) => p.kind === 'identity')
        .map((p) => p.message)
        .join('\n'),
    ).toMatch(/belongs to another instance \(-530\)/);
    const to = path.join(a.work, 'restored');
    await expect(restoreBackupSet(a.set, { engine: a.engine, to })).rejects.toThrow(BackupSetRestoreError);
    expect(fs.existsSync(to)).toBe(false);
    expect(fs.readdirSync(a.work).filter((n) => n.includes('restoring'))).toEqual([]);
  });

  it('a keyed signature: valid with the key, "not checked" without, invalid after a re-hashed edit or under another key', async () => {
    const key = new Uint8Array(32).fill(7);
    const { set, work, engine } = await committedSet({ signKey: key });
    expect(fs.readFileSync(path.join(set, MANIFEST_SIGNATURE_FILE), 'utf8')).toMatch(/^hmac-sha256 [0-9a-f]{64}\n$/);
    expect(await verifyBackupSet(set, { signKey: key })).toMatchObject({ ok: true, signature: 'valid' });
    expect(await verifyBackupSet(set)).toMatchObject({ ok: true, signature: 'not-checked' });
    const other = await verifyBackupSet(set, { signKey: new Uint8Array(32).fill(8) });
    expect(other).toMatchObject({ ok: false, signature: 'invalid' });
    // The unkeyed checksum cannot tell a deliberate edit; the signature does.
    rehashManifest(set, (m) => void (m.instance.name = 'someone else'));
    expect((await verifyBackupSet(set)).ok).toBe(true);
    const edited = await verifyBackupSet(set, { signKey: key });
    expect(edited).toMatchObject({ ok: false, signature: 'invalid' });
    expect(edited.problems[0]!.message).toMatch(/does not match the manifest under the given key/);
    await expect(restoreBackupSet(set, { engine, to: path.join(work, 'r'), signKey: key })).rejects.toThrow(/does not match the manifest/);
    // An unsigned set with a key given: refused, not "valid".
    fs.rmSync(path.join(set, MANIFEST_SIGNATURE_FILE));
    expect(await verifyBackupSet(set, { signKey: key })).toMatchObject({ ok: false, signature: 'invalid' });
    expect(await verifyBackupSet(set)).toMatchObject({ ok: true, signature: 'unsigned' });
  });
});

describe('atomic restore (issue 9, item 5)', () => {
  it('a restore that fails at its rename leaves no target and no temporary directory; the retry succeeds', async () => {
    const { set, work, engine, db } = await committedSet();
    const to = path.join(work, 'deep', 'restored');
    const failing: RestoreFs = {
      ...realRestoreFs,
      rename: async () => Promise.reject(Object.assign(new Error('EIO: injected'), { code: 'EIO' })),
    };
    await expect(restoreBackupSet(set, { engine, to, fs: failing })).rejects.toThrow(/EIO: injected/);
    expect(fs.existsSync(to)).toBe(false);
    expect(fs.readdirSync(path.dirname(to))).toEqual([]);
    const r = await restoreBackupSet(set, { engine, to });
    expect(r.restored.directory).toBe(to);
    expect(contents(r.restored.databases[0]!)).toEqual(contents(db));
    // The instance lives at its final place: writes go on, and it reopens there.
    await r.restored.databases[0]!.put('after', 'restore');
    expect(fs.readdirSync(path.dirname(to)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('refuses a target that is a symlink or not empty, before anything is written', async () => {
    const { set, engine } = await committedSet();
    const dir = await tempDir();
    fs.mkdirSync(path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
    await expect(restoreBackupSet(set, { engine, to: path.join(dir, 'link') })).rejects.toThrow(/symbolic link/);
    fs.writeFileSync(path.join(dir, 'real', 'x'), 'x');
    await expect(restoreBackupSet(set, { engine, to: path.join(dir, 'real') })).rejects.toThrow(/not empty/);
    expect(fs.readdirSync(dir).sort()).toEqual(['link', 'real']);
  });
});
