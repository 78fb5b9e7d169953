// A stop from a timer must land while a client loops on the API as fast as it can: the embedded engine
// answers from the page cache, and without turns of the event loop the timer would never run.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createCoordinator, deadline } from '../../src/coordinator/index.js';
import { JET_bit, JET_err, JetError, type JetBackupApi, type JetInstance } from '../../src/jet/index.js';
import { engineFixture, type EngineFixture } from './recording-api.js';

let fx: EngineFixture;
let inst: JetInstance;
beforeEach(async () => {
  fx = await engineFixture();
  inst = await fx.instance('loop', { keys: 20 }); // a few pages: every read is served from memory
});
afterEach(() => fx.close());

/**
 * The README's tour loop, over and over: GetAttachInfo, then each database opened, read to EOF and
 * closed. Resolves with the error that ended it and the passes made. A first pass warms the code up
 * (the first read compiles the page kernel), so the timed part measures the loop, not the start.
 */
async function tourLoop(api: JetBackupApi, inst: JetInstance, maxPasses = Infinity): Promise<{ error: unknown; passes: number }> {
  const buffer = new Uint8Array(16 * 4096);
  // Without turns of the event loop no timer runs, vitest's timeout included: the loop gives up itself.
  const giveUpAt = performance.now() + 2000;
  let passes = 0;
  try {
    while (passes < maxPasses) {
      if (performance.now() > giveUpAt) throw new Error(`the stop never landed (${passes} passes in 2 s)`);
      for (const file of await api.getAttachInfo(inst)) {
        const { handle } = await api.openFile(inst, file);
        while ((await api.readFile(inst, handle, buffer)) > 0);
        await api.closeFile(inst, handle);
      }
      passes++;
    }
    return { error: undefined, passes };
  } catch (error) {
    return { error, passes };
  }
}

it('a coordinator with deadline(5) stops the tour loop within 50 ms', async () => {
  const coordinator = createCoordinator({ api: fx.engine });
  const session = coordinator.session(inst);
  // The best of three sessions: on a loaded machine the process itself may be descheduled for tens of
  // ms; a stop that cannot land (no turn of the event loop) fails all three.
  const elapsed: number[] = [];
  for (let attempt = 0; attempt < 3 && !elapsed.some((ms) => ms < 50); attempt++) {
    await session.beginExternalBackup(inst, 0);
    await tourLoop(session, inst, 10);
    const t0 = performance.now();
    const stops = coordinator.stopWhen(deadline(5));
    const { error } = await tourLoop(session, inst);
    elapsed.push(performance.now() - t0);
    stops.unsubscribe();
    expect(error).toBeInstanceOf(JetError);
    expect((error as JetError).err).toBe(JET_err.BackupAbortByServer);
    await session.endExternalBackup(inst, JET_bit.BackupEndAbort);
    expect(fx.engine.lastBackup(inst)?.end).toBe('abortedByServer');
  }
  expect(Math.min(...elapsed)).toBeLessThan(50);
  coordinator.dispose();
});

it('a setTimeout(1) calling stopBackup on the bare engine lands while the client loops', async () => {
  // An attempt counts when the loop ran before the timer fired and ended within 50 ms (best of three).
  const landed: boolean[] = [];
  for (let attempt = 0; attempt < 3 && !landed.includes(true); attempt++) {
    await fx.engine.beginExternalBackup(inst);
    await tourLoop(fx.engine, inst, 10);
    const t0 = performance.now();
    let firedAt = 0;
    setTimeout(() => {
      firedAt = performance.now();
      fx.engine.stopBackup(inst);
    }, 1);
    const { error, passes } = await tourLoop(fx.engine, inst);
    const elapsed = performance.now() - t0;
    expect((error as JetError).err).toBe(JET_err.BackupAbortByServer);
    expect(firedAt).toBeGreaterThan(t0);
    landed.push(passes > 0 && elapsed < 50);
    await fx.engine.endExternalBackup(inst, JET_bit.BackupEndAbort);
  }
  expect(landed).toContain(true);
});
