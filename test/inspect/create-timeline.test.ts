// The timeline names every stop's source and every refused call's JET code, over the real engine.
import { EventEmitter } from 'node:events';
import { VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { deadline, fromAbortSignal, fromSignals, type SignalTarget } from '../../src/coordinator/index.js';
import { JET_bit } from '../../src/jet/index.js';
import { createTimeline } from '../../src/inspect/index.js';
import { inspectorFixture, type InspectorFixture } from './inspector-fixture.js';

let fx: InspectorFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('createTimeline', () => {
  it('records the source of each stop: signal, deadline, AbortSignal, app (coordinator.stop and JetStopBackupInstance)', async () => {
    fx = await inspectorFixture();
    const f = fx;
    const signals = new EventEmitter();
    const scheduler = new VirtualTimeScheduler();
    const controller = new AbortController();
    const stops = [
      () => {
        f.coordinator.stopWhen(fromSignals(['SIGTERM'], { target: signals as unknown as SignalTarget, platform: 'linux' }));
        signals.emit('SIGTERM', 'SIGTERM');
      },
      () => {
        f.coordinator.stopWhen(deadline(30_000, scheduler));
        scheduler.flush();
      },
      () => {
        f.coordinator.stopWhen(fromAbortSignal(controller.signal));
        controller.abort(new Error('operator'));
      },
      () => f.coordinator.stop(f.inst, 'maintenance'),
      () => f.backup.stopBackup(f.inst),
    ];
    for (const stop of stops) {
      await f.backup.beginExternalBackup(f.inst, 0);
      stop();
      await f.backup.endExternalBackup(f.inst, JET_bit.BackupEndAbort);
    }
    const stopEntries = f.timeline.entries(String(f.inst)).filter((e) => e.kind === 'stop' && e.text.includes(': session stopped'));
    expect(stopEntries.map((e) => e.sourceLabel)).toEqual([
      'signal SIGTERM',
      'deadline (30000 ms)',
      'AbortSignal (operator)',
      'app (maintenance)',
      'app (JetStopBackupInstance)',
    ]);
    expect(stopEntries.map((e) => e.source)).toEqual(['signal', 'deadline', 'abort', 'manual', 'manual']);
    expect(
      f.timeline
        .entries(String(f.inst))
        .filter((e) => e.outcome)
        .map((e) => e.outcome?.kind),
    ).toEqual(Array(5).fill('stoppedByServer'));
  });

  it('says what a stop did: stopped, already stopped, no running session', async () => {
    fx = await inspectorFixture();
    fx.coordinator.stop(fx.inst, 'early');
    await fx.backup.beginExternalBackup(fx.inst, 0);
    fx.coordinator.stop(fx.inst, 'first');
    fx.coordinator.stop(fx.inst, 'second');
    const texts = fx.timeline
      .entries(String(fx.inst))
      .filter((e) => e.kind === 'stop')
      .map((e) => e.text);
    expect(texts).toEqual([
      'stop requested by app (early): no running session',
      'stop requested by app (first): session stopped; → backup.session.stop.stopped',
      'stop requested by app (second): already stopped',
    ]);
  });

  it('records calls refused by the coordinator (watch) and errors answered by the engine (inspection), each with its code', async () => {
    fx = await inspectorFixture();
    await fx.backup.getAttachInfo(fx.inst).catch(() => {}); // refused before the engine: no backup
    await fx.backup.beginExternalBackup(fx.inst, 0);
    await fx.backup.openFile(fx.inst, '/no/such/file.edb').catch(() => {}); // the engine decides
    const entries = fx.timeline.entries(String(fx.inst));
    expect(entries.find((e) => e.kind === 'refused')).toMatchObject({
      by: 'coordinator',
      api: 'JetGetAttachInfoInstance',
      err: -520,
      code: 'JET_errNoBackup',
    });
    expect(entries.find((e) => e.kind === 'error')).toMatchObject({
      by: 'engine',
      api: 'JetOpenFileInstance',
      code: expect.stringMatching(/^JET_err/),
    });
    expect(entries.filter((e) => e.kind === 'refused')).toHaveLength(1);
  });

  it('keeps the last `limit` entries per instance, numbered in order', () => {
    const timeline = createTimeline({ limit: 2, now: () => 42 });
    const snapshot = (value: unknown) => ({ value, context: { session: null, outcome: null, stopPending: null } }) as never;
    timeline.observe('1', snapshot('a'));
    timeline.observe('1', snapshot('b'));
    timeline.observe('1', snapshot('c'));
    timeline.observe('2', snapshot('a'));
    expect(timeline.entries('1').map((e) => [e.seq, e.text, e.at])).toEqual([
      [2, '→ b', 42],
      [3, '→ c', 42],
    ]);
    expect(timeline.entries().map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(() => createTimeline({ limit: 0 })).toThrow(RangeError);
  });
});
