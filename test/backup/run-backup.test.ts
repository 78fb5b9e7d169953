import fs from 'node:fs';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EventEmitter } from 'node:events';
import { createCoordinator, shutdownHook } from '../../src/coordinator/index.js';
import { nodeBackupFs, restoreBackupSet, runBackup, verifyBackupSet, type BackupFs, type BackupProgress } from '../../src/backup/index.js';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import { contents, engineFixture, putKeys } from './helpers.js';

async function setup(options: Parameters<typeof engineFixture>[0] = {}) {
  const fx = await engineFixture(options);
  const coordinator = createCoordinator({ api: fx.engine });
  onTestFinished(() => coordinator.dispose());
  return { ...fx, coordinator };
}

describe('runBackup: a full backup', () => {
  it('copies every database and log into a committed set that verifies and restores to the committed data', async () => {
    const { engine, inst, db, work, coordinator } = await setup();
    const to = path.join(work, 'sets', 'full-1');
    const run = runBackup({ coordinator, instance: inst, to, mode: 'full', instanceName: 'main', readSize: 64 * 1024 });
    const progress = lastValueFrom(run.progress$.pipe(toArray()));
    const result = await run;
    expect(result).toMatchObject({ outcome: 'completed', end: 'normal', truncated: false });
    expect(result.error).toBeUndefined();
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'normal', truncated: false });
    const manifest = result.set!.manifest;
    expect(manifest).toMatchObject({
      mode: 'full',
      pageSize: 4096,
      instance: { backend: 'embedded', name: 'main' },
      tool: { name: 'ese-backup' },
    });
    expect(manifest.files.filter((f) => f.role === 'db').map((f) => f.name)).toEqual(['test.edb']);
    const logs = manifest.files.filter((f) => f.role === 'log');
    expect(logs.length).toBeGreaterThanOrEqual(1);
    expect(logs.map((f) => f.generation)).toEqual(logs.map((_, i) => manifest.logGenerations!.low + i));
    expect(fs.readdirSync(path.dirname(to))).toEqual(['full-1']); // no lock, no temporary directory left

    const report = await verifyBackupSet(to);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);

    const events = await progress;
    const last = events.at(-1)!;
    expect(last).toMatchObject({
      phase: 'done',
      outcome: 'completed',
      filesDone: manifest.files.length,
      filesTotal: manifest.files.length,
    });
    expect(last.bytesDone).toBe(manifest.files.reduce((n, f) => n + f.size, 0));
    expect(last.bytesTotal).toBe(last.bytesDone);
    const phases = [...new Set(events.map((e: BackupProgress) => e.phase))];
    expect(phases).toEqual(['starting', 'databases', 'logs', 'ending', 'committing', 'done']);
    expect(events.every((e, i) => i === 0 || e.bytesDone >= events[i - 1]!.bytesDone)).toBe(true);

    const expected = contents(db);
    const restored = await restoreBackupSet(to, { engine, to: path.join(work, 'restore') });
    expect(restored.databases).toHaveLength(1);
    expect(contents(restored.restored.databases[0]!)).toEqual(expected);
  });

  it.each([
    [4096, 12 * 1024],
    [8192, 40 * 1024],
    [16384, 48 * 1024],
    [32768, 1024 * 1024],
  ] as const)('%i-byte pages, %i-byte reads: the set verifies and restores to the committed data', async (pageSize, readSize) => {
    const { engine, inst, db, work, coordinator } = await setup({ instance: { pageSize }, keys: 50 });
    const result = await runBackup({ coordinator, instance: inst, to: path.join(work, 'set'), mode: 'full', readSize, verify: true });
    expect(result).toMatchObject({ outcome: 'completed', verification: { ok: true }, set: { manifest: { pageSize } } });
    const restored = await restoreBackupSet(path.join(work, 'set'), { engine, to: path.join(work, 'restore') });
    expect(contents(restored.restored.databases[0]!)).toEqual(contents(db));
  });

  it('refuses to write over an existing set and bad options, before any engine call', async () => {
    const { inst, work, coordinator } = await setup({ keys: 8 });
    const to = path.join(work, 'taken');
    fs.mkdirSync(to);
    const result = await runBackup({ coordinator, instance: inst, to, mode: 'full' });
    expect(result).toMatchObject({ outcome: 'failed', end: 'none' });
    expect(result.error?.message).toMatch(/already exists/);
    expect(coordinator.snapshot(inst).context.session).toBeNull();
    expect(() => runBackup({ coordinator, instance: inst, to, mode: 'full', readSize: 1000 })).toThrow(RangeError);
    expect(() => runBackup({ coordinator, instance: 1 as unknown as bigint, to, mode: 'full' })).toThrow(TypeError);
    expect(() => runBackup({ coordinator, instance: inst, to, mode: 'differential' as 'full' })).toThrow(RangeError);
  });
});

describe('runBackup: stops and failures', () => {
  it('a signed, verified run checks its own signature; a set lock that cannot be removed is reported, not hidden', async () => {
    const { inst, work, coordinator } = await setup();
    const to = path.join(work, 'signed');
    const lock = path.join(work, '.signed.lock');
    let refused = 0;
    const stuckLock: BackupFs = {
      ...nodeBackupFs,
      unlink: async (file) => {
        if (file !== lock) return nodeBackupFs.unlink(file);
        refused++;
        throw Object.assign(new Error(`EIO: i/o error, unlink '${file}'`), { code: 'EIO' });
      },
    };
    const signKey = new Uint8Array(32).fill(7);
    const result = await runBackup({ coordinator, instance: inst, to, mode: 'full', verify: true, signKey, fs: stuckLock });
    expect(result.outcome).toBe('completed');
    expect(result.verification?.signature).toBe('valid');
    expect(refused).toBe(2);
    expect(result.lockLeft).toEqual({ path: lock, error: expect.stringContaining('EIO') });
    expect(fs.existsSync(lock)).toBe(true);
  });

  it('a stop during the database phase ends the session with End2(Abort), leaves nothing, truncates nothing', async () => {
    const { engine, inst, work, coordinator } = await setup({ keys: 120 });
    const to = path.join(work, 'stopped');
    const logsBefore = engine.instanceInfo(inst).logGenerations;
    const run = runBackup({ coordinator, instance: inst, to, mode: 'full', truncateLogs: true, readSize: 16 * 1024 });
    let stopped = false;
    run.progress$.subscribe((p) => {
      if (!stopped && p.phase === 'databases' && p.fileBytes > 0) {
        stopped = true;
        coordinator.stop(inst, 'operator');
      }
    });
    const result = await run;
    expect(result).toMatchObject({
      outcome: 'stopped',
      end: 'abort',
      truncated: false,
      stopReason: { source: 'manual', detail: 'operator' },
    });
    expect(result.set).toBeUndefined();
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'abortedByServer', truncated: false });
    expect(fs.readdirSync(work)).toEqual([]);
    expect(engine.instanceInfo(inst).logGenerations.slice(0, logsBefore.length)).toEqual(logsBefore);
  });

  it('an abort signal in the log phase ends the session as aborted by the caller', async () => {
    const { engine, inst, work, coordinator } = await setup({ keys: 60 });
    const controller = new AbortController();
    const run = runBackup({ coordinator, instance: inst, to: path.join(work, 'aborted'), mode: 'full', signal: controller.signal });
    run.progress$.subscribe((p) => {
      if (p.phase === 'logs' && p.fileBytes > 0) controller.abort();
    });
    const result = await run;
    expect(result).toMatchObject({ outcome: 'aborted', end: 'abort' });
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'abortedByCaller' });
    expect(fs.readdirSync(work)).toEqual([]);
  });

  it('a damaged database page fails the run (-1018); a damaged log kills the session (-612); nothing is left', async () => {
    const { engine, inst, db, work, coordinator } = await setup({ keys: 40 });
    await engine.injectFault(inst, { kind: 'corruptPage', database: db.path, pgno: 2 });
    const first = await runBackup({ coordinator, instance: inst, to: path.join(work, 'bad-page'), mode: 'full' });
    expect(first).toMatchObject({ outcome: 'failed', end: 'abort', error: { err: JET_err.ReadVerifyFailure } });
    expect(fs.readdirSync(work)).toEqual([]);
  });

  it('a killed session (-612 on a damaged log, -569 on a missing one) is reported failed and not ended again', async () => {
    const { engine, inst, db, work, coordinator } = await setup({ keys: 20 });
    expect((await runBackup({ coordinator, instance: inst, to: path.join(work, 'base'), mode: 'full', truncateLogs: true })).outcome).toBe(
      'completed',
    );
    await putKeys(db, 20, 150);
    const rolled = engine.instanceInfo(inst).logGenerations.slice(0, -1);
    expect(rolled.length).toBeGreaterThanOrEqual(2);
    await engine.injectFault(inst, { kind: 'corruptLog', generation: rolled[1]! });
    const bad = await runBackup({ coordinator, instance: inst, to: path.join(work, 'bad-log'), mode: 'incremental' });
    expect(bad).toMatchObject({ outcome: 'failed', end: 'none', error: { err: JET_err.LogReadVerifyFailure } });
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'killed', killedBy: JET_err.LogReadVerifyFailure });
    await engine.injectFault(inst, { kind: 'missingLog', generation: rolled[1]! }); // a gap inside the copy range
    const missing = await runBackup({ coordinator, instance: inst, to: path.join(work, 'missing-log'), mode: 'incremental' });
    expect(missing).toMatchObject({ outcome: 'failed', end: 'none', error: { err: JET_err.MissingFileToBackup } });
    expect(fs.readdirSync(work)).toEqual(['base']);
  });
});

describe('runBackup: a stop at each later step', () => {
  /** Runs a backup and calls `stop` on the first progress emission `when` matches. */
  async function stopWhen(mode: 'full' | 'incremental', truncateLogs: boolean, when: (p: BackupProgress) => boolean) {
    const fx = await setup({ keys: 60 });
    const logsBefore = fx.engine.instanceInfo(fx.inst).logGenerations;
    const run = runBackup({ coordinator: fx.coordinator, instance: fx.inst, to: path.join(fx.work, 'set'), mode, truncateLogs });
    let fired = false;
    run.progress$.subscribe((p) => {
      if (!fired && when(p)) {
        fired = true;
        fx.coordinator.stop(fx.inst, 'operator');
      }
    });
    const result = await run;
    expect(fired).toBe(true);
    return { ...fx, result, logsBefore };
  }

  it('in the log phase: stopped, End2(Abort), nothing under the final name', async () => {
    const { result, engine, inst, work } = await stopWhen('full', true, (p) => p.phase === 'logs' && p.fileBytes > 0);
    expect(result).toMatchObject({ outcome: 'stopped', end: 'abort', truncated: false });
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'abortedByServer', truncated: false });
    expect(fs.readdirSync(work)).toEqual([]);
  });

  it('after the commit, while the set is re-verified: the set is taken back, no log is truncated', async () => {
    const { result, engine, inst, work, logsBefore } = await stopWhen('full', true, (p) => p.phase === 'verifying');
    expect(result).toMatchObject({ outcome: 'stopped', end: 'abort', truncated: false, verification: { ok: true } });
    expect(result.set).toBeUndefined();
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'abortedByServer', truncated: false });
    expect(fs.readdirSync(work)).toEqual([]);
    expect(engine.instanceInfo(inst).logGenerations.slice(0, logsBefore.length)).toEqual(logsBefore);
  });

  it('just before End2 without truncation: End2(Abort), and the set is never committed', async () => {
    const { result, engine, inst, work } = await stopWhen('full', false, (p) => p.phase === 'ending');
    expect(result).toMatchObject({ outcome: 'stopped', end: 'abort' });
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'abortedByServer' });
    expect(fs.readdirSync(work)).toEqual([]);
  });

  it('after TruncateLog: too late to undo; End2(Abort) as the rule says, and the committed set stays', async () => {
    const { result, engine, inst, work } = await stopWhen('full', true, (p) => p.phase === 'ending');
    expect(result).toMatchObject({ outcome: 'completed', end: 'abort', truncated: true, stopReason: { detail: 'operator' } });
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'abortedByServer', truncated: true });
    expect(fs.readdirSync(work)).toEqual(['set']);
    expect((await verifyBackupSet(path.join(work, 'set'))).ok).toBe(true);
  });

  it('a shutdown hook on SIGINT mid-copy: the hook ends the session, the run resolves stopped, the hook exits 0', async () => {
    const fx = await setup({ keys: 120 });
    const signals = new EventEmitter();
    const hook = shutdownHook({
      coordinator: fx.coordinator,
      graceMs: 5000,
      target: signals as unknown as Parameters<typeof shutdownHook>[0]['target'],
    });
    onTestFinished(() => hook.dispose());
    const run = runBackup({
      coordinator: fx.coordinator,
      instance: fx.inst,
      to: path.join(fx.work, 'set'),
      mode: 'full',
      readSize: 16 * 1024,
    });
    let sent = false;
    run.progress$.subscribe((p) => {
      if (!sent && p.phase === 'databases' && p.fileBytes > 0) {
        sent = true;
        signals.emit('SIGINT', 'SIGINT');
      }
    });
    const [result, code] = await Promise.all([run, hook.exitCode]);
    expect(code).toBe(0);
    expect(result).toMatchObject({ outcome: 'stopped', stopReason: { source: 'signal', shutdown: true } });
    expect(['abort', 'none']).toContain(result.end);
    expect(fx.engine.lastBackup(fx.inst)).toMatchObject({ end: 'abortedByServer' });
    expect(fs.readdirSync(fx.work)).toEqual([]);
  });

  it('progress$ replays the latest state to a late subscriber and completes with the outcome', async () => {
    const { coordinator, inst, work } = await setup({ keys: 8 });
    const run = runBackup({ coordinator, instance: inst, to: path.join(work, 'set'), mode: 'full' });
    await run;
    expect(await lastValueFrom(run.progress$.pipe(toArray()))).toEqual([expect.objectContaining({ phase: 'done', outcome: 'completed' })]);
  });
});

describe('runBackup: incremental after a truncating full backup', () => {
  it('truncates only after commit and re-verify; full + incremental restore loses nothing', async () => {
    const { engine, inst, db, work, coordinator } = await setup({ keys: 40 });
    const full = await runBackup({ coordinator, instance: inst, to: path.join(work, 'full'), mode: 'full', truncateLogs: true });
    expect(full).toMatchObject({ outcome: 'completed', end: 'normal', truncated: true, verification: { ok: true } });
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'normal', truncated: true });
    const fullHigh = full.set!.manifest.logGenerations!.high;
    expect(Math.min(...engine.instanceInfo(inst).logGenerations)).toBe(fullHigh + 1);

    await putKeys(db, 30, 90, 1500, 'second-');
    await db.delete('k00003');
    const incr = await runBackup({ coordinator, instance: inst, to: path.join(work, 'incr'), mode: 'incremental', truncateLogs: true });
    expect(incr).toMatchObject({ outcome: 'completed', end: 'normal', truncated: true });
    const m = incr.set!.manifest;
    expect(m.mode).toBe('incremental');
    expect(m.files.every((f) => f.role === 'log')).toBe(true);
    expect(m.logGenerations!.low).toBe(fullHigh + 1);

    await putKeys(db, 90, 100, 500, 'third-');
    const incr2 = await runBackup({ coordinator, instance: inst, to: path.join(work, 'incr2'), mode: 'incremental' });
    expect(incr2.outcome).toBe('completed');

    const expected = contents(db);
    const restored = await restoreBackupSet([path.join(work, 'full'), path.join(work, 'incr'), path.join(work, 'incr2')], {
      engine,
      to: path.join(work, 'restore'),
    });
    expect(contents(restored.restored.databases[0]!)).toEqual(expected);
    expect(restored.genLow).toBe(full.set!.manifest.logGenerations!.low);
    // Without the middle set the chain has a gap: refused before the engine is asked.
    await expect(
      restoreBackupSet([path.join(work, 'full'), path.join(work, 'incr2')], { engine, to: path.join(work, 'restore-2') }),
    ).rejects.toThrow(/do not chain/);
    expect(JET_bit.BackupEndNormal).toBe(1);
  });
});
