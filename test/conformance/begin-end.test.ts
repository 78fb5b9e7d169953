// Reference §3, Begin and End2 rows; docs/engine-rules.md "Begin" and "End2"; how lastBackup classifies a session.
import { expect, it } from 'vitest';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import { describeEachBackend } from './backends.js';
import { INVALID_INSTANCE, expectJet, fullBackup, readToEnd, setupOne, streamFile, tempDir } from './helpers.js';

const BAD_BEGIN_GRBITS = [0x2, JET_bit.BackupAtomic, JET_bit.BackupSnapshot, 0x5, 0x8, 0x11, 0x100, 0x8000_0000, 0xffff_ffff];
const BAD_END_GRBITS = [0, 0x3, 0x4, 0x8, 0x100, 0x103, 0x201, 0x8000_0001, 0xffff_ffff];

describeEachBackend('$name: JetBeginExternalBackupInstance (§3)', (backend) => {
  it('rejects every grbit but 0 and Incremental with -900 and opens no session', async () => {
    const s = await setupOne(backend);
    for (const grbit of BAD_BEGIN_GRBITS) {
      await expectJet(() => s.api.beginExternalBackup(s.inst, grbit), 'beginExternalBackup', JET_err.InvalidGrbit);
      await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', JET_err.NoBackup);
    }
    await s.api.beginExternalBackup(s.inst); // grbit defaults to 0: a full backup
    expect(s.engine.lastBackup(s.inst)).toMatchObject({ incremental: false, end: undefined });
    expect((await s.api.getAttachInfo(s.inst)).length).toBe(1);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('answers -505 while a session is open, and the session is unchanged', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const { handle, size } = await s.api.openFile(s.inst, db!);
    const buffer = new Uint8Array(s.readSize);
    expect(await s.api.readFile(s.inst, handle, buffer)).toBe(s.readSize);
    await expectJet(() => s.api.beginExternalBackup(s.inst, 0), 'beginExternalBackup', JET_err.BackupInProgress);
    // grbit is checked before the session: -900, not -505
    await expectJet(() => s.api.beginExternalBackup(s.inst, JET_bit.BackupAtomic), 'beginExternalBackup', JET_err.InvalidGrbit);
    // a session in progress is checked before the missing full backup: -505, not -560
    await expectJet(() => s.api.beginExternalBackup(s.inst, JET_bit.BackupIncremental), 'beginExternalBackup', JET_err.BackupInProgress);
    let total = s.readSize;
    for (let n; (n = await s.api.readFile(s.inst, handle, buffer)) > 0;) total += n;
    expect(BigInt(total)).toBe(size);
    await s.api.closeFile(s.inst, handle);
    for (const log of await s.api.getLogInfo(s.inst)) await streamFile(s.api, s.inst, log, s.readSize);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it('Incremental without a prior truncating full backup answers -560, even after a full backup that did not truncate', async () => {
    const s = await setupOne(backend);
    await expectJet(() => s.api.beginExternalBackup(s.inst, JET_bit.BackupIncremental), 'beginExternalBackup', JET_err.MissingFullBackup);
    await expectJet(() => s.api.getLogInfo(s.inst), 'getLogInfo', JET_err.NoBackup);
    await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize });
    await expectJet(() => s.api.beginExternalBackup(s.inst, JET_bit.BackupIncremental), 'beginExternalBackup', JET_err.MissingFullBackup);
    await expectJet(() => s.api.getLogInfo(s.inst), 'getLogInfo', JET_err.NoBackup);
  });
});

describeEachBackend('$name: JetEndExternalBackupInstance2 (§3)', (backend) => {
  it('without a session answers -520, for Normal, Abort and the default grbit', async () => {
    const s = await setupOne(backend);
    await expectJet(() => s.api.endExternalBackup(s.inst), 'endExternalBackup', JET_err.NoBackup);
    await expectJet(() => s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal), 'endExternalBackup', JET_err.NoBackup);
    await expectJet(() => s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort), 'endExternalBackup', JET_err.NoBackup);
    expect(s.engine.lastBackup(s.inst)).toBeUndefined();
  });

  it('validates grbit before the session: -1003 even with no session', async () => {
    const s = await setupOne(backend);
    for (const grbit of BAD_END_GRBITS) {
      await expectJet(() => s.api.endExternalBackup(s.inst, grbit), 'endExternalBackup', JET_err.InvalidParameter);
    }
    expect(s.engine.lastBackup(s.inst)).toBeUndefined();
    await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize });
  });

  it('a bad grbit answers -1003 and keeps the session: the open file still reads, End2(Normal) then works', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const { handle, size } = await s.api.openFile(s.inst, db!);
    for (const grbit of BAD_END_GRBITS) {
      await expectJet(() => s.api.endExternalBackup(s.inst, grbit), 'endExternalBackup', JET_err.InvalidParameter);
      expect(s.engine.lastBackup(s.inst)?.end).toBeUndefined();
    }
    await readToEnd(s.api, s.inst, handle, s.readSize, size); // the file stayed open
    await s.api.closeFile(s.inst, handle);
    await s.api.getLogInfo(s.inst);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it.each([
    ['Normal | TruncateDone', JET_bit.BackupEndNormal | JET_bit.BackupTruncateDone, 'normal'],
    ['Abort | TruncateDone', JET_bit.BackupEndAbort | JET_bit.BackupTruncateDone, 'abortedByCaller'],
  ] as const)('accepts %s after the log phase', async (_name, grbit, end) => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    await s.api.getLogInfo(s.inst);
    await s.api.endExternalBackup(s.inst, grbit);
    expect(s.engine.lastBackup(s.inst)?.end).toBe(end);
  });

  it('closes an open file: the next session can open one at once', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    await s.api.openFile(s.inst, db!);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
    await s.api.beginExternalBackup(s.inst, 0);
    await streamFile(s.api, s.inst, db!, s.readSize);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });
});

describeEachBackend('$name: lastBackup(inst).end (docs/engine-rules.md "End2")', (backend) => {
  it('normal: End(Normal) after the log phase; End with the default grbit is Normal', async () => {
    const s = await setupOne(backend);
    const ckpt = s.engine.instanceInfo(s.inst).checkpointGeneration;
    const result = await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize });
    expect(s.engine.lastBackup(s.inst)).toMatchObject({
      incremental: false,
      end: 'normal',
      truncated: false,
      genCopyMin: ckpt,
      genCopyMax: result.logInfo.genHigh + 1,
    });
    await s.api.beginExternalBackup(s.inst, 0);
    await s.api.getLogInfo(s.inst); // End(Normal) after the log phase is normal even if nothing was read
    await s.api.endExternalBackup(s.inst);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it('abortedByCaller: End(Normal) before the log phase, End(Abort) in either phase', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    expect(s.engine.lastBackup(s.inst)?.end).toBeUndefined();
    const [db] = await s.api.getAttachInfo(s.inst);
    await streamFile(s.api, s.inst, db!, s.readSize);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('abortedByCaller');

    await s.api.beginExternalBackup(s.inst, 0);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('abortedByCaller');

    await s.api.beginExternalBackup(s.inst, 0);
    for (const log of await s.api.getLogInfo(s.inst)) await streamFile(s.api, s.inst, log, s.readSize);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('abortedByCaller');
  });

  it('abortedByServer: Term (abrupt) and Term2(StopBackup) end a running backup and free the instance', async () => {
    for (const grbit of [undefined, JET_bit.TermStopBackup, JET_bit.TermAbrupt]) {
      const s = await setupOne(backend);
      await s.api.beginExternalBackup(s.inst, 0);
      const [db] = await s.api.getAttachInfo(s.inst);
      await s.api.openFile(s.inst, db!);
      await s.api.term(s.inst, grbit);
      expect(s.engine.lastBackup(s.inst)?.end).toBe('abortedByServer');
      await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', INVALID_INSTANCE);
    }
  });
});
