// Reference §1 and §2: JetStopBackupInstance, and every backup call after a stop.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { JET_bit, JET_err, JET_instanceNil } from '../../src/jet/index.js';
import type { JetBackupApi, JetInstance } from '../../src/jet/index.js';
import { describeEachBackend } from './backends.js';
import { INVALID_INSTANCE, expectJet, fullBackup, listDir, readToEnd, setup, setupOne, streamFile, tempDir } from './helpers.js';

const ABORT = JET_err.BackupAbortByServer;

/** End after a stop: the source answers 0, the docs also list -801; both mean "ended" (§2). */
async function endStopped(api: JetBackupApi, inst: JetInstance, grbit: number = JET_bit.BackupEndNormal): Promise<void> {
  try {
    await api.endExternalBackup(inst, grbit);
  } catch (e) {
    await expectJet(() => Promise.reject(e), 'endExternalBackup', ABORT);
  }
}

/** Every streaming call but Close and End answers -801 and changes nothing (§2). */
async function expectStoppedRows(api: JetBackupApi, inst: JetInstance, db: string, handle: bigint, readSize: number): Promise<void> {
  const buffer = new Uint8Array(readSize);
  await expectJet(() => api.getAttachInfo(inst), 'getAttachInfo', ABORT);
  await expectJet(() => api.openFile(inst, db), 'openFile', ABORT); // stop is checked before -1011
  await expectJet(() => api.openFile(inst, ''), 'openFile', ABORT); // and before the empty name
  await expectJet(() => api.readFile(inst, handle, buffer), 'readFile', ABORT);
  await expectJet(() => api.readFile(inst, handle, buffer), 'readFile', ABORT); // the handle stays open
  await expectJet(() => api.readFile(inst, handle + 7n, buffer), 'readFile', ABORT); // before the handle check
  await expectJet(() => api.readFile(inst, handle, new Uint8Array(1)), 'readFile', ABORT); // before the buffer check
  await expectJet(() => api.getLogInfo(inst), 'getLogInfo', ABORT);
  await expectJet(() => api.getLogInfo2(inst), 'getLogInfo2', ABORT);
  await expectJet(() => api.getTruncateLogInfo(inst), 'getTruncateLogInfo', ABORT);
  await expectJet(() => api.truncateLog(inst), 'truncateLog', ABORT);
  await expectJet(() => api.beginExternalBackup(inst, 0), 'beginExternalBackup', JET_err.BackupInProgress);
  await expectJet(() => api.beginExternalBackup(inst, JET_bit.BackupIncremental), 'beginExternalBackup', JET_err.BackupInProgress);
  expect(api.stopBackup(inst)).toBeUndefined(); // idempotent
}

describeEachBackend('$name: JetStopBackupInstance (§1, §2)', (backend) => {
  it('with no session: returns, the streaming calls answer -520 (not -801), and the next Begin runs a whole backup', async () => {
    const s = await setupOne(backend);
    expect(s.api.stopBackup(s.inst)).toBeUndefined();
    await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', JET_err.NoBackup);
    await expectJet(() => s.api.getLogInfo(s.inst), 'getLogInfo', JET_err.NoBackup);
    await expectJet(() => s.api.endExternalBackup(s.inst), 'endExternalBackup', JET_err.NoBackup);
    await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize });
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it('in the database phase: every row of the §2 table, then End ends it as abortedByServer and Begin works again', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const { handle } = await s.api.openFile(s.inst, db!);
    expect(await s.api.readFile(s.inst, handle, new Uint8Array(s.readSize))).toBe(s.readSize);
    expect(s.api.stopBackup(s.inst)).toBeUndefined();
    await expectStoppedRows(s.api, s.inst, db!, handle, s.readSize);
    expect(s.engine.lastBackup(s.inst)?.end).toBeUndefined(); // still open
    await s.api.closeFile(s.inst, handle); // allowed, and proves the handle stayed open
    await expectJet(() => s.api.closeFile(s.inst, handle), 'closeFile', JET_err.InvalidParameter); // now closed
    await endStopped(s.api, s.inst);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('abortedByServer');
    await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', JET_err.NoBackup);
    await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize }); // Begin cleared the stop
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it('in the log phase: -801 everywhere, TruncateLog deletes nothing, End(Normal) is abortedByServer', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    await streamFile(s.api, s.inst, db!, s.readSize);
    const logs = await s.api.getLogInfo(s.inst);
    expect(logs.length).toBeGreaterThan(0);
    const { handle } = await s.api.openFile(s.inst, logs[0]!);
    expect(await s.api.readFile(s.inst, handle, new Uint8Array(2 * s.pageSize))).toBe(2 * s.pageSize);
    const before = await listDir(s.directory);
    s.api.stopBackup(s.inst);
    await expectStoppedRows(s.api, s.inst, logs[0]!, handle, s.readSize);
    expect(await listDir(s.directory)).toEqual(before);
    await s.api.closeFile(s.inst, handle);
    await endStopped(s.api, s.inst);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('abortedByServer');
    expect(s.engine.lastBackup(s.inst)?.truncated).toBe(false);
    expect(await listDir(s.directory)).toEqual(before);
  });

  it('twice: both succeed; End(Abort) after a stop also ends the session', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    s.api.stopBackup(s.inst);
    s.api.stopBackup(s.inst);
    await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', ABORT);
    await endStopped(s.api, s.inst, JET_bit.BackupEndAbort);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('abortedByServer'); // a stop wins over the caller's Abort
    await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', JET_err.NoBackup);
    await s.api.beginExternalBackup(s.inst, 0);
    expect((await s.api.getAttachInfo(s.inst)).length).toBe(1);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('Begin while stopped answers -505 until End', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    s.api.stopBackup(s.inst);
    await expectJet(() => s.api.beginExternalBackup(s.inst, 0), 'beginExternalBackup', JET_err.BackupInProgress);
    await expectJet(() => s.api.beginExternalBackup(s.inst, 0), 'beginExternalBackup', JET_err.BackupInProgress);
    await endStopped(s.api, s.inst);
    await s.api.beginExternalBackup(s.inst, 0);
    await s.api.getAttachInfo(s.inst);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('a call already inside the engine completes; the next one fails', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const { handle } = await s.api.openFile(s.inst, db!);
    const buffer = new Uint8Array(s.readSize);
    const inFlight = s.api.readFile(s.inst, handle, buffer);
    s.api.stopBackup(s.inst);
    if (backend.callEntersSynchronously) {
      expect(await inFlight).toBe(s.readSize);
    } else {
      await inFlight.catch((e: unknown) => expectJet(() => Promise.reject(e), 'readFile', ABORT));
    }
    await expectJet(() => s.api.readFile(s.inst, handle, buffer), 'readFile', ABORT);
    await s.api.closeFile(s.inst, handle);
    await endStopped(s.api, s.inst);
  });

  it('on NULL, JET_instanceNil, a terminated or a random handle: -1003 (or -1115), and nothing changes', async () => {
    const s = await setup(backend);
    const live = await s.instance('live');
    const dead = await s.instance('dead');
    await s.api.term(dead.inst);
    await s.api.beginExternalBackup(live.inst, 0);
    const [db] = await s.api.getAttachInfo(live.inst);
    const { handle, size } = await s.api.openFile(live.inst, db!);
    const first = new Uint8Array(live.readSize);
    expect(await s.api.readFile(live.inst, handle, first)).toBe(live.readSize);
    const randoms = fc.sample(fc.bigInt({ min: -(1n << 72n), max: 1n << 72n }), { numRuns: 40, seed: 7 });
    for (const bad of [0n, JET_instanceNil, dead.inst, -1n, 1n << 64n, ...randoms]) {
      if (bad === live.inst) continue;
      await expectJet(() => s.api.stopBackup(bad), 'stopBackup', INVALID_INSTANCE);
    }
    // The live backup was not stopped: it streams to the end and finishes normally.
    const rest = await readToEnd(s.api, live.inst, handle, live.readSize, size - BigInt(live.readSize));
    expect(rest.length + live.readSize).toBe(Number(size));
    await s.api.closeFile(live.inst, handle);
    for (const log of await s.api.getLogInfo(live.inst)) await streamFile(s.api, live.inst, log, live.readSize);
    await s.api.endExternalBackup(live.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(live.inst)?.end).toBe('normal');
  });

  it('is per instance: stopping one of two backups leaves the other to finish normally', async () => {
    const s = await setup(backend);
    const a = await s.instance('a');
    const b = await s.instance('b');
    await s.api.beginExternalBackup(a.inst, 0);
    await s.api.beginExternalBackup(b.inst, 0);
    const [dbA] = await s.api.getAttachInfo(a.inst);
    const { handle: hA } = await s.api.openFile(a.inst, dbA!);
    expect(await s.api.readFile(a.inst, hA, new Uint8Array(a.readSize))).toBe(a.readSize);
    s.api.stopBackup(a.inst);
    await expectJet(() => s.api.readFile(a.inst, hA, new Uint8Array(a.readSize)), 'readFile', ABORT);
    const [dbB] = await s.api.getAttachInfo(b.inst);
    await streamFile(s.api, b.inst, dbB!, b.readSize);
    for (const log of await s.api.getLogInfo(b.inst)) await streamFile(s.api, b.inst, log, b.readSize);
    await s.api.endExternalBackup(b.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(b.inst)?.end).toBe('normal');
    await s.api.closeFile(a.inst, hA);
    await endStopped(s.api, a.inst);
    expect(s.engine.lastBackup(a.inst)?.end).toBe('abortedByServer');
  });

  it('never fails for a live instance: created but not initialized, or after StopService', async () => {
    const s = await setup(backend);
    const created = await s.instance('created', { noInit: true });
    expect(s.api.stopBackup(created.inst)).toBeUndefined();
    await s.engine.init(created.inst);
    await s.engine.createDatabase(created.inst, 'x.edb');
    await s.api.beginExternalBackup(created.inst, 0); // the stop had no lasting effect
    expect((await s.api.getAttachInfo(created.inst)).length).toBe(1);
    await s.api.endExternalBackup(created.inst, JET_bit.BackupEndAbort);

    const stopped = await s.instance('stopped');
    await s.api.stopService(stopped.inst, JET_bit.StopServiceAll);
    expect(s.api.stopBackup(stopped.inst)).toBeUndefined();
  });
});
