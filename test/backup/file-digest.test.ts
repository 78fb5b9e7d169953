// The file digest a set records (BLAKE3 by default, SHA-256 on request, SHA-256 in every version 1 set):
// written, named in the manifest, checked by every reader, refused when unknown.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { blake3 } from '@napi-rs/blake-hash';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import {
  MANIFEST_VERSION,
  parseBackupManifest,
  restoreBackupSet,
  runBackup,
  serializeBackupManifest,
  verifyBackupSet,
  type BackupManifest,
} from '../../src/backup/index.js';
import type { FileDigestAlgorithm } from '../../src/backup/file-digest.js';
import { sameFileBytes } from '../../src/backup/same-file-bytes.js';
import { createEmbeddedEngine } from '../../src/engine/index.js';
import { contents, engineFixture, flipBit, keyOf, putKeys, tempDir, valueOf } from './helpers.js';
import { readManifest, rehashManifest } from './hostile-helpers.js';

/** Each algorithm's digest of a file's bytes, computed apart from the code under test. */
const reference: Record<FileDigestAlgorithm, (bytes: Uint8Array) => string> = {
  sha256: (bytes) => createHash('sha256').update(bytes).digest('hex'),
  // The package types its input as Buffer; a view of the same bytes, no copy.
  blake3: (bytes) => blake3(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('hex'),
};
const label = { sha256: 'SHA-256', blake3: 'BLAKE3' } as const;

/** A version 1 set (SHA-256, no `digest`) written by ese-backup at commit d285190, the last before BLAKE3. */
const v1Set = fileURLToPath(new URL('./fixtures/sha256-v1-set', import.meta.url));

async function setup(keys = 60) {
  const fx = await engineFixture({ keys });
  const coordinator = createCoordinator({ api: fx.engine });
  onTestFinished(() => coordinator.dispose());
  return { ...fx, coordinator };
}

describe('file digests of new sets', () => {
  it.each(['blake3', 'sha256'] as const)(
    "digest '%s': the manifest names it, each file carries it alone, the run's re-read and verify agree; a flipped byte is found",
    async (algorithm) => {
      const fx = await setup();
      const result = await runBackup({
        coordinator: fx.coordinator,
        instance: fx.inst,
        to: path.join(fx.work, 'set'),
        mode: 'full',
        verify: true,
        digest: algorithm,
      });
      expect(result.outcome, result.error?.message).toBe('completed');
      expect(result.verification!.ok).toBe(true);
      const set = result.set!.path;
      const m = readManifest(set);
      expect(m.version).toBe(MANIFEST_VERSION);
      expect(m.digest).toBe(algorithm);
      const other = algorithm === 'blake3' ? 'sha256' : 'blake3';
      for (const f of m.files) {
        expect(f[algorithm]).toBe(reference[algorithm](fs.readFileSync(path.join(set, f.name))));
        expect(f).not.toHaveProperty(other);
      }
      const report = await verifyBackupSet(set);
      expect(report.problems).toEqual([]);
      expect(report.files.map((f) => f.algorithm)).toEqual(m.files.map(() => algorithm));

      // A byte of the log's unused tail: no ESE check covers those bytes, only the digest.
      const log = m.files.find((f) => f.role === 'log')!;
      const file = path.join(set, log.name);
      flipBit(file, log.size - 1, 0);
      const damaged = await verifyBackupSet(set);
      const digestProblems = damaged.problems.filter((p) => p.kind === 'digest');
      expect(digestProblems).toHaveLength(1);
      expect(digestProblems[0]!.message).toBe(
        `${log.name}: ${label[algorithm]} ${reference[algorithm](fs.readFileSync(file))} differs from the manifest's ${log[algorithm]}`,
      );
    },
  );

  it('BLAKE3 is the default', async () => {
    const fx = await setup(20);
    const result = await runBackup({ coordinator: fx.coordinator, instance: fx.inst, to: path.join(fx.work, 'set'), mode: 'full' });
    expect(result.outcome).toBe('completed');
    expect(result.set!.manifest.digest).toBe('blake3');
    expect(result.set!.manifest.files.every((f) => /^[0-9a-f]{64}$/.test(f.blake3 ?? ''))).toBe(true);
  });

  it('an unknown digest option is refused before the run', async () => {
    const fx = await setup(8);
    expect(() =>
      runBackup({ coordinator: fx.coordinator, instance: fx.inst, to: path.join(fx.work, 'set'), mode: 'full', digest: 'md5' as never }),
    ).toThrow("runBackup: options.digest must be 'blake3' or 'sha256', got md5");
    expect(fs.readdirSync(fx.work)).toEqual([]);
  });
});

describe('manifests naming their digest', () => {
  it('an unknown algorithm is refused by name: verify lists it, restore refuses and leaves no target', async () => {
    const fx = await setup(20);
    const result = await runBackup({ coordinator: fx.coordinator, instance: fx.inst, to: path.join(fx.work, 'set'), mode: 'full' });
    const set = result.set!.path;
    rehashManifest(set, (m) => {
      (m as { digest: string }).digest = 'md5';
    });
    const report = await verifyBackupSet(set);
    expect(report.ok).toBe(false);
    expect(report.manifest).toBeUndefined();
    expect(report.problems.filter((p) => p.kind === 'manifest').map((p) => p.message)).toContain(
      'manifest: digest "md5" is not an algorithm this version knows (blake3, sha256): the files\' digests cannot be checked',
    );
    const to = path.join(fx.work, 'restored');
    const engine = await createEmbeddedEngine({ directory: await tempDir() });
    try {
      await expect(restoreBackupSet(set, { engine, to })).rejects.toThrow(/digest "md5" is not an algorithm this version knows/);
    } finally {
      await engine.close();
    }
    expect(fs.existsSync(to)).toBe(false);
  });

  it('strict: a missing digest, a file without its digest, a second digest, a bad hex, a version 1 manifest naming one', () => {
    const base: Omit<BackupManifest, 'manifestSha256'> = {
      format: 'ese-backup-set',
      version: 2,
      digest: 'blake3',
      mode: 'full',
      pageSize: 4096,
      logGenerations: null,
      instance: { backend: 'embedded', handle: '0x1' },
      startTime: '2026-12-02T12:00:00.000Z',
      endTime: '2026-12-02T12:00:01.000Z',
      tool: { name: 'ese-backup', version: '0.1.0' },
      files: [{ name: 'a.edb', role: 'db', size: 12288, blake3: 'a'.repeat(64), source: '/x/a.edb' }],
    };
    const problems = (edit: (m: Record<string, unknown> & { files: Record<string, unknown>[] }) => void) => {
      const m = structuredClone(base) as unknown as Record<string, unknown> & { files: Record<string, unknown>[] };
      edit(m);
      return parseBackupManifest(serializeBackupManifest(m as unknown as BackupManifest)).problems;
    };
    expect(problems(() => undefined)).toEqual([]);
    expect(problems((m) => delete m.digest)).toEqual(["manifest: digest must name the files' digest algorithm (blake3, sha256)"]);
    expect(problems((m) => delete m.files[0]!.blake3)).toEqual(['manifest: files[0].blake3 (BLAKE3) must be 64 lower-case hex digits']);
    expect(problems((m) => (m.files[0]!.blake3 = 'A'.repeat(64)))).toEqual([
      'manifest: files[0].blake3 (BLAKE3) must be 64 lower-case hex digits',
    ]);
    expect(problems((m) => (m.files[0]!.sha256 = 'b'.repeat(64)))).toEqual([
      "manifest: files[0].sha256 is not the manifest's digest (blake3)",
    ]);
    expect(
      problems((m) => {
        m.digest = 'sha256';
      }),
    ).toEqual([
      'manifest: files[0].sha256 (SHA-256) must be 64 lower-case hex digits',
      "manifest: files[0].blake3 is not the manifest's digest (sha256)",
    ]);
    expect(problems((m) => (m.version = 1))).toEqual([
      'manifest: digest belongs to version 2 manifests (version 1 files carry sha256)',
      'manifest: files[0].sha256 (SHA-256) must be 64 lower-case hex digits',
      "manifest: files[0].blake3 is not the manifest's digest (sha256)",
    ]);
    expect(problems((m) => (m.version = 3))).toEqual(['manifest: version must be 1 or 2, got 3']);
  });
});

describe('a version 1 set (SHA-256, written before BLAKE3)', () => {
  it('verifies and restores as before', async () => {
    const m = readManifest(v1Set);
    expect([m.version, m.digest, m.files.every((f) => typeof f.sha256 === 'string')]).toEqual([1, undefined, true]);
    const report = await verifyBackupSet(v1Set);
    expect(report.problems).toEqual([]);
    const byName = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    expect(report.files.map((f) => [f.name, f.algorithm, f.digest]).sort(byName)).toEqual(
      m.files.map((f) => [f.name, 'sha256', f.sha256]).sort(byName),
    );
    const engine = await createEmbeddedEngine({ directory: await tempDir() });
    try {
      const restored = await restoreBackupSet(v1Set, { engine, to: path.join(await tempDir(), 'restored') });
      const rows = contents(restored.restored.databases[0]!);
      expect(rows.size).toBe(12);
      for (let i = 0; i < 12; i++) expect(rows.get(keyOf(i))).toBe(valueOf(i, 1500));
    } finally {
      await engine.close();
    }
  });

  it('a flipped byte is found by its SHA-256', async () => {
    const copy = path.join(await tempDir(), 'set');
    fs.cpSync(v1Set, copy, { recursive: true });
    const log = readManifest(copy).files.find((f) => f.role === 'log')!;
    flipBit(path.join(copy, log.name), log.size - 1, 3);
    const report = await verifyBackupSet(copy);
    // The log's tail is checked as ESE too ('log'); the digest names the change whatever the bytes.
    expect(report.problems.filter((p) => p.kind === 'digest').map((p) => [p.kind, p.message])).toEqual([
      [
        'digest',
        `${log.name}: SHA-256 ${reference.sha256(fs.readFileSync(path.join(copy, log.name)))} differs from the manifest's ${log.sha256}`,
      ],
    ]);
  });
});

describe('restore across digests', () => {
  it("SHA-256 sets, then a BLAKE3 incremental sharing generations with the one before: the shared logs' bytes are compared", async () => {
    const fx = await setup(40);
    const run = (name: string, mode: 'full' | 'incremental', digest: FileDigestAlgorithm, truncateLogs: boolean) =>
      runBackup({ coordinator: fx.coordinator, instance: fx.inst, to: path.join(fx.work, name), mode, digest, truncateLogs });
    const full = await run('full', 'full', 'sha256', true);
    await putKeys(fx.db, 40, 140, 1500, 'b-');
    // No truncation after this incremental: the next one holds its generations again.
    const incr1 = await run('incr1', 'incremental', 'sha256', false);
    await putKeys(fx.db, 140, 200, 1500, 'c-');
    const incr2 = await run('incr2', 'incremental', 'blake3', false);
    expect([full.outcome, incr1.outcome, incr2.outcome], `${incr1.error?.message} ${incr2.error?.message}`).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    expect([incr1.set!.manifest.digest, incr2.set!.manifest.digest]).toEqual(['sha256', 'blake3']);
    const gens = (m: BackupManifest) => m.files.filter((f) => f.role === 'log').map((f) => f.generation);
    expect(gens(incr1.set!.manifest).filter((g) => gens(incr2.set!.manifest).includes(g)).length).toBeGreaterThan(0);
    const engine = await createEmbeddedEngine({ directory: await tempDir() });
    try {
      const sets = [full.set!.path, incr1.set!.path, incr2.set!.path];
      const restored = await restoreBackupSet(sets, { engine, to: path.join(await tempDir(), 'restored') });
      expect(contents(restored.restored.databases[0]!)).toEqual(contents(fx.db));
    } finally {
      await engine.close();
    }
  });

  it('sameFileBytes tells equal files from files of one differing byte or length', async () => {
    const dir = await tempDir();
    const bytes = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff);
    const write = (name: string, b: Uint8Array) => (fs.writeFileSync(path.join(dir, name), b), path.join(dir, name));
    const a = write('a', bytes);
    const same = write('same', bytes);
    const flipped = bytes.slice();
    flipped[2 * 1024 * 1024 + 5]! ^= 1;
    const b = write('b', flipped);
    const shorter = write('short', bytes.subarray(0, bytes.length - 1));
    expect(await sameFileBytes(a, same)).toBe(true);
    expect(await sameFileBytes(a, b)).toBe(false);
    expect(await sameFileBytes(a, shorter)).toBe(false);
  });
});
