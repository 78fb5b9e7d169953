// Reference §3 instance checks, StopService and Term2; docs/engine-rules.md "Instance checks", "stopService", "term".
import { expect, it } from 'vitest';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import type { JetBackupApi, JetInstance } from '../../src/jet/index.js';
import { describeEachBackend } from './backends.js';
import { INVALID_INSTANCE, expectJet, fullBackup, setup, setupOne, streamFile, tempDir } from './helpers.js';

/** Every backup call but Stop and Term, each answering `err`. */
async function expectEveryCall(api: JetBackupApi, inst: JetInstance, path: string, err: number | readonly number[]): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  await expectJet(() => api.beginExternalBackup(inst, 0), 'beginExternalBackup', err);
  await expectJet(() => api.beginExternalBackup(inst, JET_bit.BackupIncremental), 'beginExternalBackup', err);
  await expectJet(() => api.getAttachInfo(inst), 'getAttachInfo', err);
  await expectJet(() => api.openFile(inst, path), 'openFile', err);
  await expectJet(() => api.readFile(inst, 0n, buffer), 'readFile', err);
  await expectJet(() => api.closeFile(inst, 0n), 'closeFile', err);
  await expectJet(() => api.getLogInfo(inst), 'getLogInfo', err);
  await expectJet(() => api.getLogInfo2(inst), 'getLogInfo2', err);
  await expectJet(() => api.getTruncateLogInfo(inst), 'getTruncateLogInfo', err);
  await expectJet(() => api.truncateLog(inst), 'truncateLog', err);
  await expectJet(() => api.endExternalBackup(inst, JET_bit.BackupEndNormal), 'endExternalBackup', err);
  await expectJet(() => api.endExternalBackup(inst, JET_bit.BackupEndAbort), 'endExternalBackup', err);
  await expectJet(() => api.endExternalBackup(inst, 0), 'endExternalBackup', err); // instance checks come before the grbit
}

describeEachBackend('$name: instance checks (§3, docs/engine-rules.md)', (backend) => {
  it('created but not initialized: -1029 on every call but Stop', async () => {
    const s = await setup(backend);
    const created = await s.instance('created', { noInit: true });
    await expectEveryCall(s.api, created.inst, '/nonexistent.edb', JET_err.NotInitialized);
    await expectJet(() => s.api.stopService(created.inst), 'stopService', JET_err.NotInitialized);
    s.api.stopBackup(created.inst);
    // Nothing stuck: once initialized, the instance backs up normally.
    await s.engine.init(created.inst);
    await s.engine.createDatabase(created.inst, 'late.edb');
    await fullBackup(s.api, created.inst, await tempDir(), { readSize: created.readSize });
    expect(s.engine.lastBackup(created.inst)?.end).toBe('normal');
  });

  it('while Term runs: -1000 (terminating) or, once freed, -1003; never another exception', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const terminating = s.api.term(s.inst, JET_bit.TermStopBackup);
    // Over a backend whose calls reach the engine on another thread, a call issued after Term may
    // still arrive before it: only a synchronous entry makes "during" well defined.
    const during = backend.callEntersSynchronously
      ? [
          expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', [JET_err.TermInProgress, ...INVALID_INSTANCE]),
          expectJet(() => s.api.beginExternalBackup(s.inst, 0), 'beginExternalBackup', [JET_err.TermInProgress, ...INVALID_INSTANCE]),
        ]
      : [];
    await Promise.all([terminating, ...during]);
    await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', INVALID_INSTANCE);
  });

  it('a terminated instance: -1003 (or -1115) on every call, Stop and Term included', async () => {
    const s = await setupOne(backend);
    await s.api.term(s.inst);
    await expectEveryCall(s.api, s.inst, s.db.path, INVALID_INSTANCE);
    await expectJet(() => s.api.stopService(s.inst), 'stopService', INVALID_INSTANCE);
    await expectJet(() => s.api.term(s.inst), 'term', INVALID_INSTANCE);
    await expectJet(() => s.api.stopBackup(s.inst), 'stopBackup', INVALID_INSTANCE);
  });
});

describeEachBackend('$name: JetStopServiceInstance2 (§3, docs/engine-rules.md "stopService")', (backend) => {
  it('StopService(All) during a backup: -1329 on every call, End included; Stop works; Term2(StopBackup) ends it', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    await s.api.openFile(s.inst, db!);
    await s.api.stopService(s.inst, JET_bit.StopServiceAll);
    await expectEveryCall(s.api, s.inst, db!, JET_err.ClientRequestToStopJetService);
    await expectJet(() => s.api.stopService(s.inst), 'stopService', JET_err.ClientRequestToStopJetService);
    expect(s.api.stopBackup(s.inst)).toBeUndefined();
    await expectJet(() => s.api.endExternalBackup(s.inst), 'endExternalBackup', JET_err.ClientRequestToStopJetService);
    expect(s.engine.lastBackup(s.inst)?.end).toBeUndefined();
    await s.api.term(s.inst, JET_bit.TermStopBackup);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('abortedByServer');
    await expectJet(() => s.api.beginExternalBackup(s.inst, 0), 'beginExternalBackup', INVALID_INSTANCE);
  });

  it('StopService() defaults to All: with no backup, Begin answers -1329', async () => {
    const s = await setupOne(backend);
    await s.api.stopService(s.inst);
    await expectJet(() => s.api.beginExternalBackup(s.inst, 0), 'beginExternalBackup', JET_err.ClientRequestToStopJetService);
    await s.api.term(s.inst);
  });

  it('the partial bits are accepted and do not touch a running backup', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    for (const grbit of [JET_bit.StopServiceBackgroundUserTasks, JET_bit.StopServiceQuiesceCaches, JET_bit.StopServiceStopAndEmitLog]) {
      await s.api.stopService(s.inst, grbit);
    }
    await streamFile(s.api, s.inst, db!, s.readSize);
    for (const log of await s.api.getLogInfo(s.inst)) await streamFile(s.api, s.inst, log, s.readSize);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it('unknown bits answer -900 and change nothing', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    for (const grbit of [0x1, 0x10, 0x100, 0x4000_0000]) {
      await expectJet(() => s.api.stopService(s.inst, grbit), 'stopService', JET_err.InvalidGrbit);
    }
    expect((await s.api.getAttachInfo(s.inst)).length).toBe(1);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
    await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize });
  });
});

describeEachBackend('$name: JetTerm2 (§3, docs/engine-rules.md "term")', (backend) => {
  it('Term2(Complete) during a backup: -505, the backup keeps running, Begin answers -523 until init re-arms', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const { handle } = await s.api.openFile(s.inst, db!);
    const buffer = new Uint8Array(s.readSize);
    expect(await s.api.readFile(s.inst, handle, buffer)).toBe(s.readSize);
    await expectJet(() => s.api.term(s.inst, JET_bit.TermComplete), 'term', JET_err.BackupInProgress);
    expect(await s.api.readFile(s.inst, handle, buffer)).toBeGreaterThan(0); // still running
    await expectJet(() => s.api.beginExternalBackup(s.inst, 0), 'beginExternalBackup', JET_err.BackupNotAllowedYet);
    await s.api.closeFile(s.inst, handle);
    for (const log of await s.api.getLogInfo(s.inst)) await streamFile(s.api, s.inst, log, s.readSize);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
    await expectJet(() => s.api.beginExternalBackup(s.inst, 0), 'beginExternalBackup', JET_err.BackupNotAllowedYet);
    await expectJet(() => s.api.beginExternalBackup(s.inst, 0x4), 'beginExternalBackup', JET_err.BackupNotAllowedYet); // -523 comes first
    await s.engine.init(s.inst); // re-arms instead of -1030
    await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize });
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it('Term2(Complete) with no backup frees the instance', async () => {
    const s = await setupOne(backend);
    await s.api.term(s.inst, JET_bit.TermComplete);
    await expectJet(() => s.api.beginExternalBackup(s.inst, 0), 'beginExternalBackup', INVALID_INSTANCE);
  });

  it('unknown bits answer -900 and leave the instance and its backup running', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    for (const grbit of [0x10, 0x100, 0x8000_0000]) {
      await expectJet(() => s.api.term(s.inst, grbit), 'term', JET_err.InvalidGrbit);
    }
    const [db] = await s.api.getAttachInfo(s.inst);
    await streamFile(s.api, s.inst, db!, s.readSize);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });
});
