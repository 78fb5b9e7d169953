// ESE ignores a stop when no session runs (reference §1), so a stop that comes while a run cleans up
// orphans, takes its lock or waits for its Begin would be lost; the run must still end, as stopped.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createCoordinator, type StopDelivery } from '../../src/coordinator/index.js';
import { runBackup } from '../../src/backup/index.js';
import { JET_bit, type JetBackupApi, type JetBackupMethod } from '../../src/jet/index.js';
import { engineFixture } from './helpers.js';

/** The real engine behind a wrapper that records the calls reaching it and can hold one method until released. */
function gatedApi(api: JetBackupApi, held: JetBackupMethod) {
  const calls: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let reached!: () => void;
  const entered = new Promise<void>((r) => (reached = r));
  const wrapped = Object.fromEntries(
    (Object.keys(api) as Array<keyof JetBackupApi>).map((key) => {
      const value = api[key];
      if (typeof value !== 'function') return [key, value];
      return [
        key,
        (...args: unknown[]) => {
          calls.push(key);
          const call = () => (value as (...a: unknown[]) => unknown).apply(api, args);
          if (key !== held) return call();
          reached();
          return gate.then(call);
        },
      ];
    }),
  ) as unknown as JetBackupApi;
  return { api: wrapped, calls, release, entered };
}

async function setup(held: JetBackupMethod = 'term') {
  const fx = await engineFixture({ keys: 40 });
  const gated = gatedApi(fx.engine, held);
  const coordinator = createCoordinator({ api: gated.api });
  onTestFinished(() => coordinator.dispose());
  const deliveries: StopDelivery[] = [];
  coordinator.stopRequests$.subscribe((r) => deliveries.push(r.delivery));
  return { ...fx, ...gated, coordinator, deliveries, to: path.join(fx.work, 'set') };
}

describe('runBackup: a stop before the session begins ends the run', () => {
  it('during the orphan clean-up: stopped, no Begin reaches the engine, nothing is left', async () => {
    const { engine, inst, work, to, coordinator, calls, deliveries } = await setup();
    const run = runBackup({ coordinator, instance: inst, to, mode: 'full' });
    run.progress$.subscribe((p) => {
      if (p.phase === 'starting' && deliveries.length === 0) coordinator.stop(inst, 'operator');
    });
    const result = await run;
    expect(deliveries).toEqual(['noSession']); // ESE itself would have ignored it
    expect(result).toMatchObject({ outcome: 'stopped', end: 'none', stopReason: { source: 'manual', detail: 'operator' } });
    expect(result.set).toBeUndefined();
    expect(calls).not.toContain('beginExternalBackup');
    expect(engine.lastBackup(inst)).toBeUndefined();
    expect(fs.readdirSync(work)).toEqual([]);
  });

  it('an AbortSignal during the clean-up: aborted, no Begin', async () => {
    const { engine, inst, work, to, coordinator, calls } = await setup();
    const controller = new AbortController();
    const run = runBackup({ coordinator, instance: inst, to, mode: 'full', signal: controller.signal });
    run.progress$.subscribe((p) => {
      if (p.phase === 'starting') controller.abort();
    });
    expect(await run).toMatchObject({ outcome: 'aborted', end: 'none' });
    expect(calls).not.toContain('beginExternalBackup');
    expect(engine.lastBackup(inst)).toBeUndefined();
    expect(fs.readdirSync(work)).toEqual([]);
  });

  it('while Begin waits in the queue behind another call: Begin, then End2(Abort) at once, nothing copied', async () => {
    const { engine, inst, work, to, coordinator, calls, deliveries, release } = await setup('stopService');
    // A call of the app holds the instance's queue (a StopService that stops nothing: not StopServiceAll).
    const holding = coordinator.session(inst).stopService(inst, JET_bit.StopServiceBackgroundUserTasks);
    const run = runBackup({ coordinator, instance: inst, to, mode: 'full' });
    // The run queues Begin right after it created its temporary directory.
    while (!fs.readdirSync(work).some((n) => n.startsWith('.set.partial-'))) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 5));
    expect(calls).toEqual(['stopService']);
    coordinator.stop(inst, 'operator');
    release();
    await holding;
    const result = await run;
    expect(deliveries).toEqual(['noSession']);
    expect(calls).toEqual(['stopService', 'beginExternalBackup', 'endExternalBackup']);
    expect(result).toMatchObject({ outcome: 'stopped', end: 'abort', stopReason: { detail: 'operator' } });
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'abortedByCaller' });
    expect(fs.readdirSync(work)).toEqual([]);
  });

  it('while Begin is in flight: the stop waits for the session, which is stopped and ended at once', async () => {
    const { engine, inst, work, to, coordinator, calls, deliveries, release, entered } = await setup('beginExternalBackup');
    const run = runBackup({ coordinator, instance: inst, to, mode: 'full' });
    await entered;
    expect(coordinator.stop(inst, 'operator')).toBe('pending');
    release();
    const result = await run;
    expect(deliveries).toEqual(['pending']);
    expect(calls).toEqual(['beginExternalBackup', 'stopBackup', 'endExternalBackup']);
    expect(result).toMatchObject({ outcome: 'stopped', end: 'abort', stopReason: { detail: 'operator' } });
    expect(engine.lastBackup(inst)).toMatchObject({ end: 'abortedByServer' });
    expect(fs.readdirSync(work)).toEqual([]);
  });
});

describe('coordinator.stop says what it reached', () => {
  it('unknownInstance, noSession, stopped, alreadyStopped; never throws', async () => {
    const { inst, coordinator } = await setup();
    expect(coordinator.stop(0x7777n)).toBe('unknownInstance');
    const session = coordinator.session(inst);
    expect(coordinator.stop(inst)).toBe('noSession');
    await session.beginExternalBackup(inst, 0);
    expect(coordinator.stop(inst)).toBe('stopped');
    expect(coordinator.stop(inst)).toBe('alreadyStopped');
    await session.endExternalBackup(inst, JET_bit.BackupEndAbort);
    expect(coordinator.stop(inst)).toBe('noSession');
    coordinator.dispose();
    expect(() => coordinator.stop(inst)).not.toThrow();
  });
});
