// The coordinator over the real embedded engine: guarded calls, stops, policies, observability.
import { firstValueFrom, Subject, take, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { createCoordinator } from '../../src/coordinator/index.js';
import { JET_bit, JET_err, JetError, type JetInstance } from '../../src/jet/index.js';
import { READ_SIZE, engineFixture, recordingApi, type EngineFixture, type RecordingApi } from './recording-api.js';

let fx: EngineFixture;
let api: RecordingApi;
let inst: JetInstance;
beforeEach(async () => {
  fx = await engineFixture();
  api = recordingApi(fx.engine);
  inst = await fx.instance('one');
});
afterEach(() => fx.close());

async function rejects(p: Promise<unknown>, err: number): Promise<JetError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(JetError);
  expect((e as JetError).err).toBe(err);
  return e as JetError;
}

/** A whole full backup through `b`, reading every file to EOF. */
async function fullBackup(b: ReturnType<ReturnType<typeof createCoordinator>['session']>, buffer = new Uint8Array(READ_SIZE)) {
  await b.beginExternalBackup(inst, 0);
  for (const file of [...(await b.getAttachInfo(inst))]) await copy(b, file, buffer);
  for (const file of await b.getLogInfo(inst)) await copy(b, file, buffer);
  await b.endExternalBackup(inst, JET_bit.BackupEndNormal);
}
async function copy(b: ReturnType<ReturnType<typeof createCoordinator>['session']>, file: string, buffer: Uint8Array) {
  const { handle } = await b.openFile(inst, file);
  while ((await b.readFile(inst, handle, buffer)) > 0);
  await b.closeFile(inst, handle);
}

describe('createCoordinator: guarded session over the embedded engine', () => {
  it('a whole backup goes through; the chart records completed, as the engine records normal', async () => {
    const c = createCoordinator({ api });
    await fullBackup(c.session(inst));
    expect(c.snapshot(inst).context.outcome).toEqual({ kind: 'completed' });
    expect(fx.engine.lastBackup(inst)?.end).toBe('normal');
  });

  it('after a stop, readFile rejects with -801 and the backend readFile is never reached', async () => {
    const c = createCoordinator({ api });
    const b = c.session(inst);
    await b.beginExternalBackup(inst, 0);
    const [db] = await b.getAttachInfo(inst);
    const { handle } = await b.openFile(inst, db!);
    const buffer = new Uint8Array(READ_SIZE);
    await b.readFile(inst, handle, buffer);
    const reads = api.count('readFile');
    c.stop(inst, 'operator');
    const e = await rejects(b.readFile(inst, handle, buffer), JET_err.BackupAbortByServer);
    expect(e.api).toBe('JetReadFileInstance');
    expect(e.message).toMatch(/refused before the engine/);
    expect(api.count('readFile')).toBe(reads);
    for (const call of [b.getAttachInfo(inst), b.getLogInfo(inst), b.getTruncateLogInfo(inst), b.truncateLog(inst), b.openFile(inst, db!)])
      await rejects(call, -801);
    await rejects(b.beginExternalBackup(inst, 0), JET_err.BackupInProgress);
    expect(api.calls.slice(-1)[0]?.method).toBe('stopBackup');
    await b.closeFile(inst, handle); // allowed after a stop
    await b.endExternalBackup(inst, JET_bit.BackupEndNormal);
    expect(c.snapshot(inst).context.outcome).toEqual({ kind: 'stoppedByServer' });
    expect(fx.engine.lastBackup(inst)?.end).toBe('abortedByServer');
  });

  it('any number of stops collapse into one JetStopBackupInstance per session', async () => {
    const c = createCoordinator({ api });
    const b = c.session(inst);
    c.stopAll();
    expect(api.count('stopBackup')).toBe(0); // no session: nothing to stop
    await b.beginExternalBackup(inst, 0);
    for (let i = 0; i < 50; i++) {
      c.stop(inst);
      c.stopAll('again');
      b.stopBackup(inst);
    }
    expect(api.count('stopBackup')).toBe(1);
    await b.endExternalBackup(inst, JET_bit.BackupEndAbort);
    await b.beginExternalBackup(inst, 0); // not sticky
    c.stopAll();
    c.stopAll();
    expect(api.count('stopBackup')).toBe(2);
  });

  it('calls on one instance are serialized: concurrent reads never overlap in the backend', async () => {
    let inside = 0;
    let most = 0;
    const slow = {
      ...api,
      async readFile(i: JetInstance, h: bigint, buf: Uint8Array) {
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 2));
        try {
          return await api.readFile(i, h, buf);
        } finally {
          inside--;
        }
      },
    };
    const c = createCoordinator({ api: slow });
    const b = c.session(inst);
    await b.beginExternalBackup(inst, 0);
    const [db] = await b.getAttachInfo(inst);
    const { handle } = await b.openFile(inst, db!);
    const sizes = await Promise.all(Array.from({ length: 6 }, () => b.readFile(inst, handle, new Uint8Array(16384))));
    expect(most).toBe(1);
    expect(sizes.reduce((a, n) => a + n, 0)).toBeGreaterThan(0);
  });

  it('misuse is a TypeError or RangeError raised before any call', async () => {
    const c = createCoordinator({ api });
    const b = c.session(inst);
    expect(() => b.readFile(inst, 0 as unknown as bigint, new Uint8Array(4096))).toThrow(TypeError);
    expect(() => b.beginExternalBackup(inst + 16n, 0)).toThrow(RangeError);
    expect(() => b.openFile(inst, 7 as unknown as string)).toThrow(TypeError);
    expect(() => createCoordinator({ api, policy: 'strict' as 'engine' })).toThrow(RangeError);
    expect(c.session(inst)).toBe(b);
    expect(api.calls).toEqual([]);
  });

  it('a stop while Begin is in flight stops the session Begin opens, once', async () => {
    const c = createCoordinator({ api });
    const b = c.session(inst);
    const begun = b.beginExternalBackup(inst, 0);
    c.stop(inst);
    await begun;
    expect(api.count('stopBackup')).toBe(1);
    await rejects(b.getAttachInfo(inst), -801);
  });

  it('stopWhen: each emission stops the selected instances (all by default); returns a Subscription', async () => {
    const two = await fx.instance('two');
    const c = createCoordinator({ api });
    const [b1, b2] = [c.session(inst), c.session(two)];
    await b1.beginExternalBackup(inst, 0);
    await b2.beginExternalBackup(two, 0);
    const only = new Subject<string>();
    const sub = c.stopWhen(only, { instances: [two] });
    only.next('just two');
    expect(api.count('stopBackup', two)).toBe(1);
    expect(api.count('stopBackup', inst)).toBe(0);
    expect(c.snapshot(two).context.session?.stopReason).toEqual({ source: 'manual', detail: 'just two', shutdown: false });
    await b1.getAttachInfo(inst); // the other instance's backup is untouched
    const all = new Subject<void>();
    c.stopWhen(all);
    all.next();
    expect(api.count('stopBackup', inst)).toBe(1);
    sub.unsubscribe();
    expect(only.observed).toBe(false);
  });

  it('policy latch: a shutdown stop refuses Begin (-523) until reset; policy engine lets Begin run', async () => {
    for (const policy of ['engine', 'latch'] as const) {
      const f = await engineFixture();
      try {
        const i = await f.instance('p');
        const rec = recordingApi(f.engine);
        const c = createCoordinator({ api: rec, policy });
        const b = c.session(i);
        await b.beginExternalBackup(i, 0);
        c.stopAll({ source: 'signal', detail: 'SIGTERM', shutdown: true });
        await b.endExternalBackup(i, JET_bit.BackupEndAbort);
        if (policy === 'latch') {
          const begins = rec.count('beginExternalBackup');
          await rejects(b.beginExternalBackup(i, 0), JET_err.BackupNotAllowedYet);
          expect(rec.count('beginExternalBackup')).toBe(begins);
          c.reset(i);
        }
        await b.beginExternalBackup(i, 0);
        expect(c.snapshot(i).value).toMatchObject({ backup: { session: { stop: 'running' } } });
      } finally {
        await f.close();
      }
    }
  });

  it('state$ emits the current snapshot first, then each change; states$ covers instances added later', async () => {
    const c = createCoordinator({ api });
    const b = c.session(inst);
    const first = await firstValueFrom(c.state$(inst));
    expect(first.value).toMatchObject({ backup: { noSession: 'idle' } });
    const seen = firstValueFrom(c.state$(inst).pipe(take(3), toArray()));
    await b.beginExternalBackup(inst, 0); // call event, then its answer
    expect((await seen).map((s) => s.context.calling)).toEqual([null, 'BEGIN_EXTERNAL_BACKUP', null]);
    const all: string[] = [];
    const sub = c.states$.subscribe(({ instance }) => all.push(String(instance)));
    const two = await fx.instance('two');
    c.session(two);
    sub.unsubscribe();
    expect(all).toEqual([String(inst), String(two)]);
  });

  it('inspect sees every instance actor (id and systemId from the instance) and its events', async () => {
    const actors = new Set<string>();
    const events: string[] = [];
    const c = createCoordinator({
      api,
      inspect: (e) => {
        if (e.type === '@xstate.actor') actors.add((e.actorRef as AnyActorRef).id);
        if (e.type === '@xstate.event') events.push(e.event.type);
      },
    });
    const b = c.session(inst);
    await b.beginExternalBackup(inst, 0);
    c.stop(inst);
    expect([...actors]).toContain(`instance:${inst}`);
    expect(events).toEqual(expect.arrayContaining(['BEGIN_EXTERNAL_BACKUP', 'BEGIN_EXTERNAL_BACKUP.DONE', 'STOP_BACKUP']));
  });

  it('a terminated instance: every call -1003 without the backend; stop() is a no-op, session.stopBackup throws', async () => {
    const c = createCoordinator({ api });
    const b = c.session(inst);
    await b.term(inst, JET_bit.TermAbrupt);
    const before = api.calls.length;
    await rejects(b.beginExternalBackup(inst, 0), JET_err.InvalidParameter);
    c.stop(inst);
    expect(() => b.stopBackup(inst)).toThrow(JetError);
    expect(api.calls.length).toBe(before);
  });
});
