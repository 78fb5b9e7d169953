import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { createEmbeddedEngine } from '../../src/engine/index.js';
import { restoreBackupSet, runBackup, verifyBackupSet } from '../../src/backup/index.js';
import { JET_err } from '../../src/jet/index.js';
import { contents, engineFixture, putKeys } from './helpers.js';

async function setup() {
  // Enough data for several 64 KiB logs in the truncate range.
  const fx = await engineFixture({ keys: 200 });
  const coordinator = createCoordinator({ api: fx.engine });
  onTestFinished(() => coordinator.dispose());
  return { ...fx, coordinator };
}

describe('runBackup --truncate-logs: a TruncateLog that fails is never followed by a discard', () => {
  it('part-way: the logs deleted are named, the committed set stays, verifies and restores; the run fails', async () => {
    const { engine, inst, db, work, coordinator } = await setup();
    const expected = contents(db);
    expect(engine.instanceInfo(inst).logGenerations.length).toBeGreaterThanOrEqual(3);
    await engine.injectFault(inst, { kind: 'truncateError', after: 2 });
    const to = path.join(work, 'set');
    const result = await runBackup({ coordinator, instance: inst, to, mode: 'full', truncateLogs: true });

    expect(result).toMatchObject({
      outcome: 'failed',
      truncated: 'partial',
      end: 'abort',
      error: { err: JET_err.DiskIO },
      verification: { ok: true },
    });
    expect(result.logsTruncated).toHaveLength(2);
    for (const file of result.logsTruncated!) expect(fs.existsSync(file)).toBe(false);
    expect(result.set?.path).toBe(to);
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'abortedByCaller', truncated: false });
    expect(fs.readdirSync(work)).toEqual(['set']); // no lock, no temporary directory
    expect((await verifyBackupSet(to)).ok).toBe(true);
    const restoreEngine = await createEmbeddedEngine({ directory: path.join(work, 'restore-engine') });
    onTestFinished(() => restoreEngine.close());
    const restored = await restoreBackupSet(to, { engine: restoreEngine, to: path.join(work, 'restored') });
    expect(contents(restored.restored.databases[0]!)).toEqual(expected);

    // The instance is left with no open session: the next truncating backup succeeds.
    await putKeys(db, 200, 220);
    const next = await runBackup({ coordinator, instance: inst, to: path.join(work, 'next'), mode: 'full', truncateLogs: true });
    expect(next).toMatchObject({ outcome: 'completed', truncated: true, end: 'normal' });
    expect(next.logsTruncated!.length).toBeGreaterThan(0);
  });

  it('failing before it deletes anything: the set stays too, "no log truncated", and the run fails', async () => {
    const { engine, inst, work, coordinator } = await setup();
    const logs = engine.instanceInfo(inst).logGenerations;
    await engine.injectFault(inst, { kind: 'truncateError', after: 0 });
    const result = await runBackup({ coordinator, instance: inst, to: path.join(work, 'set'), mode: 'full', truncateLogs: true });
    expect(result).toMatchObject({ outcome: 'failed', truncated: false, logsTruncated: [], end: 'abort', error: { err: JET_err.DiskIO } });
    expect(result.set?.path).toBe(path.join(work, 'set'));
    expect(engine.instanceInfo(inst).logGenerations.slice(0, logs.length - 1)).toEqual(logs.slice(0, -1));
    expect((await verifyBackupSet(path.join(work, 'set'))).ok).toBe(true);
  });

  it('a successful truncation names the logs it deleted', async () => {
    const { engine, inst, work, coordinator } = await setup();
    const result = await runBackup({ coordinator, instance: inst, to: path.join(work, 'set'), mode: 'full', truncateLogs: true });
    expect(result).toMatchObject({ outcome: 'completed', truncated: true, end: 'normal' });
    expect(result.logsTruncated!.length).toBeGreaterThan(0);
    for (const file of result.logsTruncated!) expect(fs.existsSync(file)).toBe(false);
    expect(engine.lastBackup(inst)).toMatchObject({ truncated: true });
  });
});
