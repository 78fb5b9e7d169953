// Issue 12 §1 "Threads": every .async call holds a libuv pool thread. The binding's AsyncGate runs at most
// `bulkConcurrency` reads at once across every instance, first come first served, and control calls
// (Begin, End, Term, lists) never wait behind them.
import { describe, expect, it } from 'vitest';
import { AsyncGate, DEFAULT_BULK_CONCURRENCY, createEsentBackend } from '../../src/esent/index.js';
import { JET_bit } from '../../src/jet/index.js';
import { READ_SIZE, filledInstance, noCompiler, openNative } from './native-session.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('AsyncGate', () => {
  it('runs at most maxBulk bulk calls, in arrival order; control calls run at once', async () => {
    const gate = new AsyncGate(2);
    const started: number[] = [];
    const release: Array<() => void> = [];
    const bulk = Array.from({ length: 5 }, (_, n) =>
      gate.run(
        'bulk',
        () =>
          new Promise<number>((resolve) => {
            started.push(n);
            release[n] = () => resolve(n);
          }),
      ),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(await gate.run('control', async () => 'control')).toBe('control');
    release[1]!();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    release[0]!();
    await tick();
    release[2]!();
    await tick();
    release[3]!();
    await tick();
    release[4]!();
    expect(await Promise.all(bulk)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(gate.stats).toMatchObject({ bulkPeak: 2, bulkRunning: 0, bulkQueuedPeak: 3 });
  });

  it('a bulk call that rejects frees its slot', async () => {
    const gate = new AsyncGate(1);
    await expect(gate.run('bulk', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run('bulk', async () => 1)).toBe(1);
    expect(gate.stats.bulkRunning).toBe(0);
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => new AsyncGate(n)).toThrow(RangeError);
  });
});

describe.skipIf(noCompiler)('esent: bounded reads over the shim', () => {
  it(`four instances reading at once: at most ${DEFAULT_BULK_CONCURRENCY} reads inside the library; Begin and End of a fifth pass while reads are held`, async () => {
    let inside = 0;
    let peak = 0;
    let hold = true;
    const waiting: Array<() => void> = [];
    const { engine, host } = await openNative({
      async before(c) {
        if (c.api !== 'read') return;
        inside++;
        peak = Math.max(peak, inside);
        if (hold) await new Promise<void>((resolve) => waiting.push(resolve));
      },
      after(c) {
        if (c.api === 'read') inside--;
      },
    });
    const api = createEsentBackend({ library: host.library });
    const insts = await Promise.all([1, 2, 3, 4].map((n) => filledInstance(engine, `reader${n}`)));
    const handles: bigint[] = [];
    for (const inst of insts) {
      await api.beginExternalBackup(inst, 0);
      const [db] = await api.getAttachInfo(inst);
      handles.push((await api.openFile(inst, db!)).handle);
    }
    const reads = insts.map((inst, n) => api.readFile(inst, handles[n]!, new Uint8Array(READ_SIZE)));
    while (waiting.length < DEFAULT_BULK_CONCURRENCY) await tick();
    await tick();
    expect(inside).toBe(DEFAULT_BULK_CONCURRENCY);
    expect(api.library.gate.stats.bulkRunning).toBe(DEFAULT_BULK_CONCURRENCY);

    // Control calls on another instance are not queued behind the held reads.
    const fifth = await filledInstance(engine, 'control');
    await api.beginExternalBackup(fifth, 0);
    expect(await api.getAttachInfo(fifth)).toHaveLength(1);
    await api.endExternalBackup(fifth, JET_bit.BackupEndAbort);

    hold = false;
    for (const release of waiting.splice(0)) release();
    for (const n of await Promise.all(reads)) expect(n).toBeGreaterThan(0);
    expect(peak).toBe(DEFAULT_BULK_CONCURRENCY);
    for (const [n, inst] of insts.entries()) {
      await api.closeFile(inst, handles[n]!);
      await api.endExternalBackup(inst, JET_bit.BackupEndAbort);
    }
  });
});
