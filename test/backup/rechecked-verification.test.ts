import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { BackupSetWriter, nodeBackupFs, runBackup, verifyBackupSet, type BackupFileSink, type BackupFs } from '../../src/backup/index.js';
import { manifestFileDigest } from '../../src/backup/backup-manifest.js';
import { verifyBackupSetWith } from '../../src/backup/verify-backup-set.js';
import { RecheckReadError } from '../../src/backup/written-file-recheck.js';
import { engineFixture, flipBit } from './helpers.js';

async function setup(keys = 120) {
  const fx = await engineFixture({ keys });
  const coordinator = createCoordinator({ api: fx.engine });
  onTestFinished(() => coordinator.dispose());
  return { ...fx, coordinator };
}

/** A committed set of the fixture (no verification), to copy bytes from. */
async function committedSet(fx: Awaited<ReturnType<typeof setup>>, name: string) {
  const result = await runBackup({ coordinator: fx.coordinator, instance: fx.inst, to: path.join(fx.work, name), mode: 'full' });
  expect(result.outcome).toBe('completed');
  return result.set!;
}

/**
 * The bytes of `source` written again into `<work>/again` through a writer whose sinks re-read behind the
 * writes (`write` hands each file's bytes to its sink), committed and released.
 */
async function rewriteRechecked(
  fx: Awaited<ReturnType<typeof setup>>,
  source: Awaited<ReturnType<typeof committedSet>>,
  sink: { recheck: true; syncEvery?: number },
  write: (sink: BackupFileSink, bytes: Uint8Array) => Promise<void>,
) {
  const writer = await BackupSetWriter.create({ to: path.join(fx.work, 'again'), mode: 'full', instance: source.manifest.instance, sink });
  for (const f of source.manifest.files) {
    const fileSink = await writer.addFile(f.name, f.role, f.source, f.generation);
    await write(fileSink, fs.readFileSync(path.join(source.path, f.name)));
    await fileSink.close();
  }
  const rechecked = await writer.rechecked();
  const manifest = await writer.commit({ pageSize: source.manifest.pageSize, logGenerations: source.manifest.logGenerations });
  await writer.release();
  return { writer, rechecked, manifest };
}

describe('verification overlapped with the copy (each file re-read behind its writer)', () => {
  it('a recheck reports what reading the committed file reports: the same SHA-256 and the same ESE checks', async () => {
    const fx = await setup();
    const source = await committedSet(fx, 'source');
    // The same bytes written again through a writer whose sinks re-read behind the writes, in odd chunk sizes.
    const { writer, rechecked, manifest } = await rewriteRechecked(
      fx,
      source,
      { recheck: true, syncEvery: 64 * 1024 },
      async (sink, bytes) => {
        const pending: Promise<void>[] = [];
        for (let at = 0, step = 12288; at < bytes.length; at += step, step = step === 12288 ? 98304 : 12288)
          pending.push(sink.write(bytes.subarray(at, Math.min(bytes.length, at + step))));
        await Promise.all(pending);
      },
    );
    expect([...rechecked.keys()].sort()).toEqual(manifest.files.map((f) => f.name).sort());
    for (const f of manifest.files) expect(rechecked.get(f.name)!.digest).toBe(manifestFileDigest(manifest, f));

    const read = await verifyBackupSet(writer.paths.final);
    const reused = await verifyBackupSetWith(writer.paths.final, {}, { prechecked: rechecked });
    expect(read.ok).toBe(true);
    expect(reused).toEqual(read);
    // Every database page was checked by the recheck, as by the read.
    const db = reused.files.find((f) => f.role === 'db')!;
    expect(db.ese.pages).toBe(db.bytes / source.manifest.pageSize);
  });

  it('a recheck of a file changed after it was re-read is not used: a bit flipped then (mtime put back) is found', async () => {
    const fx = await setup();
    const source = await committedSet(fx, 'source');
    const { writer, rechecked } = await rewriteRechecked(fx, source, { recheck: true }, (sink, bytes) => sink.write(bytes));
    const db = source.manifest.files.find((f) => f.role === 'db')!;
    const file = path.join(writer.paths.final, db.name);
    const { atime, mtime } = fs.statSync(file);
    flipBit(file, 3 * source.manifest.pageSize + 100, 2); // a data page
    fs.utimesSync(file, atime, mtime); // the ctime still moves
    const report = await verifyBackupSetWith(writer.paths.final, {}, { prechecked: rechecked });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind).sort()).toEqual(['digest', 'page']);
  });

  it('runBackup verify: true: the run reports what a fresh verifyBackupSet reads', async () => {
    const fx = await setup();
    const result = await runBackup({
      coordinator: fx.coordinator,
      instance: fx.inst,
      to: path.join(fx.work, 'set'),
      mode: 'full',
      verify: true,
    });
    expect(result.outcome).toBe('completed');
    expect(result.verification!.ok).toBe(true);
    expect(result.verification).toEqual(await verifyBackupSet(result.set!.path));
  });

  it('bytes corrupted on their way to the disk (a write that stores other bytes) fail the run: the re-read sees them', async () => {
    const fx = await setup();
    let corrupted = 0;
    // A file system that stores one flipped byte of the database's third chunk, while the sink hashed the right ones.
    const lying: BackupFs = {
      ...nodeBackupFs,
      async open(file, flags) {
        const handle = await nodeBackupFs.open(file, flags);
        if (flags !== 'wx' || !file.endsWith('.edb')) return handle;
        return {
          write: (buffer, offset, length, position) => {
            if (position <= 40000 && position + length > 40000 && corrupted++ === 0) {
              const copy = Uint8Array.from(buffer.subarray(offset, offset + length));
              copy[40000 - position]! ^= 0x10;
              return handle.write(copy, 0, length, position);
            }
            return handle.write(buffer, offset, length, position);
          },
          datasync: () => handle.datasync(),
          sync: () => handle.sync(),
          close: () => handle.close(),
        };
      },
    };
    const result = await runBackup({
      coordinator: fx.coordinator,
      instance: fx.inst,
      to: path.join(fx.work, 'set'),
      mode: 'full',
      verify: true,
      readSize: 16384,
      fs: lying,
    });
    expect(corrupted).toBe(1);
    expect(result.outcome).toBe('failed');
    expect(result.set).toBeUndefined();
    expect(result.verification!.problems.map((p) => p.kind)).toContain('digest');
    expect(fs.readdirSync(fx.work)).toEqual([]);
  });

  it('a read of the re-read behind the writer that fails once (EIO) fails the run, though a second read would succeed', async () => {
    const fx = await setup();
    let failed = 0;
    // The re-read opens the file in the temporary directory (nothing else reads there); its first read fails.
    const flaky: BackupFs = {
      ...nodeBackupFs,
      async openRead(file, flags) {
        const handle = await nodeBackupFs.openRead(file, flags);
        if (!file.includes('.partial-') || !file.endsWith('.edb')) return handle;
        return {
          read: (buffer, offset, length, position) =>
            failed++ === 0
              ? Promise.reject(Object.assign(new Error(`EIO: injected, read '${file}'`), { code: 'EIO' }))
              : handle.read(buffer, offset, length, position),
          stat: handle.stat.bind(handle) as typeof handle.stat,
          close: () => handle.close(),
        };
      },
    };
    const result = await runBackup({
      coordinator: fx.coordinator,
      instance: fx.inst,
      to: path.join(fx.work, 'set'),
      mode: 'full',
      verify: true,
      fs: flaky,
    });
    expect(failed).toBeGreaterThan(0);
    expect(result.outcome).toBe('failed');
    expect(result.error).toBeInstanceOf(RecheckReadError);
    expect(result.error).toMatchObject({ operation: 'read', code: 'EIO' });
    expect(result.error!.message).toMatch(/\.edb: re-reading it behind its writer failed \(read\): EIO/);
    expect(result.set).toBeUndefined();
    expect(fs.readdirSync(fx.work)).toEqual([]);
  });

  it('a stop mid-copy with verify: true: stopped, End2(Abort), the set and its rechecks discarded, nothing left', async () => {
    const fx = await setup(200);
    const run = runBackup({
      coordinator: fx.coordinator,
      instance: fx.inst,
      to: path.join(fx.work, 'set'),
      mode: 'full',
      verify: true,
      readSize: 16384,
    });
    let stopped = false;
    run.progress$.subscribe((p) => {
      if (!stopped && p.phase === 'databases' && p.fileBytes > 5 * 16384) {
        stopped = true;
        fx.coordinator.stop(fx.inst, 'operator');
      }
    });
    const result = await run;
    expect(stopped).toBe(true);
    expect(result).toMatchObject({ outcome: 'stopped', end: 'abort' });
    expect(result.set).toBeUndefined();
    expect(fs.readdirSync(fx.work)).toEqual([]);
    // The instance backs up again at once: nothing of the stopped run holds the session or the set's name.
    const again = await runBackup({
      coordinator: fx.coordinator,
      instance: fx.inst,
      to: path.join(fx.work, 'set'),
      mode: 'full',
      verify: true,
    });
    expect(again.outcome).toBe('completed');
    expect(again.verification!.ok).toBe(true);
  });
});
