// shutdownHook over the real engine, signals from an injected emitter (real signals: real-signals.test.ts).
import { EventEmitter } from 'node:events';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCoordinator, shutdownHook, type Coordinator } from '../../src/coordinator/index.js';
import { JET_bit, JetError, type JetBackupApi, type JetInstance } from '../../src/jet/index.js';
import { engineFixture, recordingApi, type EngineFixture, type RecordingApi } from './recording-api.js';

let fx: EngineFixture;
let api: RecordingApi;
let target: EventEmitter;
beforeEach(async () => {
  fx = await engineFixture();
  api = recordingApi(fx.engine);
  target = new EventEmitter();
});
afterEach(() => fx.close());

/** The app's backup loop: copy every database, reading slowly; on a JetError, End(Abort) and report it. */
async function backupLoop(b: JetBackupApi, inst: JetInstance, pauseMs = 1): Promise<number | 'done'> {
  try {
    await b.beginExternalBackup(inst, 0);
    for (;;) {
      for (const file of await b.getAttachInfo(inst)) {
        const { handle } = await b.openFile(inst, file);
        while ((await b.readFile(inst, handle, new Uint8Array(4096 * 3))) > 0) await new Promise((r) => setTimeout(r, pauseMs));
        await b.closeFile(inst, handle);
      }
    }
  } catch (e) {
    if (!(e instanceof JetError)) throw e;
    await b.endExternalBackup(inst, JET_bit.BackupEndAbort).catch(() => {}); // -520 when the hook's End came first
    return e.err;
  }
}

/** Resolves once `inst`'s session has a database file open (as the chart records it): the backup is running. */
const fileOpen = (c: Coordinator, inst: JetInstance) => firstValueFrom(c.state$(inst).pipe(filter((s) => s.context.session?.file != null)));

async function twoRunning(c: Coordinator) {
  const insts = [await fx.instance('one', { keys: 40 }), await fx.instance('two', { keys: 40 })];
  const loops = insts.map((i) => backupLoop(c.session(i), i));
  await Promise.all(insts.map((i) => fileOpen(c, i)));
  return { insts, loops };
}

describe('shutdownHook', () => {
  it('first signal: one STOP per session, sessions end through the abort path, exit code 0', async () => {
    const c = createCoordinator({ api });
    const { insts, loops } = await twoRunning(c);
    const hook = shutdownHook({ coordinator: c, graceMs: 5000, target, platform: 'linux' });
    target.emit('SIGTERM');
    expect(await hook.exitCode).toBe(0);
    expect(hook.signal).toBe('SIGTERM');
    for (const inst of insts) {
      expect(api.count('stopBackup', inst)).toBe(1);
      expect(fx.engine.lastBackup(inst)?.end).toBe('abortedByServer');
      expect(c.snapshot(inst).context.outcome).toEqual({ kind: 'stoppedByServer' });
    }
    expect((await Promise.all(loops)).every((err) => err === -801 || err === -520)).toBe(true);
    hook.dispose();
    expect(target.eventNames()).toEqual([]);
  });

  it('with no session running, resolves 0 at once and stops nothing', async () => {
    const c = createCoordinator({ api });
    c.session(await fx.instance('idle'));
    const hook = shutdownHook({ coordinator: c, graceMs: 5000, target, platform: 'linux' });
    target.emit('SIGINT');
    expect(await hook.exitCode).toBe(0);
    expect(api.count('stopBackup')).toBe(0);
    hook.dispose();
  });

  it('a second signal resolves at once with 128 + its number', async () => {
    const slow = {
      ...api,
      readFile: (i: JetInstance, h: bigint, b: Uint8Array) => new Promise<number>((r) => setTimeout(() => r(api.readFile(i, h, b)), 300)),
    };
    const c = createCoordinator({ api: slow });
    const inst = await fx.instance('slow');
    void backupLoop(c.session(inst), inst, 0);
    await fileOpen(c, inst);
    const hook = shutdownHook({ coordinator: c, graceMs: 60_000, target, platform: 'linux' });
    target.emit('SIGINT');
    target.emit('SIGTERM');
    expect(await hook.exitCode).toBe(143);
    for (let i = 0; i < 100; i++) target.emit('SIGINT'); // swallowed until dispose
    expect(api.count('stopBackup')).toBe(1);
    hook.dispose();
    expect(target.eventNames()).toEqual([]);
  });

  it('the grace deadline resolves with 124 when a call in flight keeps a session open', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inFlight = new Promise<void>((r) => (entered = r));
    const hanging = {
      ...api,
      readFile: async (i: JetInstance, h: bigint, b: Uint8Array) => (entered(), await stuck, api.readFile(i, h, b)),
    };
    const c = createCoordinator({ api: hanging });
    const inst = await fx.instance('hang');
    const loop = backupLoop(c.session(inst), inst, 0);
    await inFlight; // the read is in the engine
    const hook = shutdownHook({ coordinator: c, graceMs: 50, target, platform: 'linux' });
    target.emit('SIGINT');
    expect(await hook.exitCode).toBe(124);
    release();
    await loop;
    hook.dispose();
  });

  it('policy latch: after the hook, Begin is refused (-523) without reaching the engine', async () => {
    const c = createCoordinator({ api, policy: 'latch' });
    const { insts } = await twoRunning(c);
    const hook = shutdownHook({ coordinator: c, graceMs: 5000, target, platform: 'linux' });
    target.emit('SIGINT');
    expect(await hook.exitCode).toBe(0);
    const begins = api.count('beginExternalBackup');
    await expect(c.session(insts[0]!).beginExternalBackup(insts[0]!, 0)).rejects.toMatchObject({ err: -523 });
    expect(api.count('beginExternalBackup')).toBe(begins);
    hook.dispose();
  });

  it('rejects a bad graceMs', () => {
    const c = createCoordinator({ api });
    expect(() => shutdownHook({ coordinator: c, graceMs: -1, target })).toThrow(RangeError);
  });
});
