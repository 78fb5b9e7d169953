// Reference §3 incremental rules (-526, -521, -560) and logging disabled (-516); docs/engine-rules.md "Begin".
import path from 'node:path';
import { expect, it } from 'vitest';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import { describeEachBackend } from './backends.js';
import { backup, expectJet, fill, fullBackup, setupOne, streamFile, tempDir } from './helpers.js';

const { InvalidBackup, InvalidBackupSequence, LoggingDisabled, InvalidGrbit, NoBackup, BackupInProgress } = JET_err;
const INCREMENTAL = JET_bit.BackupIncremental;

describeEachBackend('$name: incremental backups (§3)', (backend) => {
  it('circular logging: Incremental answers -526 (after the grbit check, before -505); a full backup works', async () => {
    const s = await setupOne(backend, { options: { circularLogging: true } });
    await expectJet(() => s.api.beginExternalBackup(s.inst, INCREMENTAL), 'beginExternalBackup', InvalidBackup);
    await expectJet(() => s.api.getLogInfo(s.inst), 'getLogInfo', NoBackup);
    await expectJet(() => s.api.beginExternalBackup(s.inst, JET_bit.BackupAtomic), 'beginExternalBackup', InvalidGrbit);
    await s.api.beginExternalBackup(s.inst, 0);
    await expectJet(() => s.api.beginExternalBackup(s.inst, INCREMENTAL), 'beginExternalBackup', InvalidBackup);
    await expectJet(() => s.api.beginExternalBackup(s.inst, 0), 'beginExternalBackup', BackupInProgress);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
    await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize, truncate: true });
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
    await expectJet(() => s.api.beginExternalBackup(s.inst, INCREMENTAL), 'beginExternalBackup', InvalidBackup);
  });

  it('logging disabled: Begin answers -516 before the grbit check and opens no session', async () => {
    const s = await setupOne(backend, { options: { recovery: false } });
    for (const grbit of [0, INCREMENTAL, JET_bit.BackupAtomic, 0xffff_ffff]) {
      await expectJet(() => s.api.beginExternalBackup(s.inst, grbit), 'beginExternalBackup', LoggingDisabled);
    }
    await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', NoBackup);
    expect(s.engine.lastBackup(s.inst)).toBeUndefined();
  });

  it('after a truncating full backup: starts in the log phase; GetAttachInfo -521 keeps it, Open(db) -521 kills it', async () => {
    const s = await setupOne(backend);
    const full = await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize, truncate: true });
    await s.api.beginExternalBackup(s.inst, INCREMENTAL);
    expect(s.engine.lastBackup(s.inst)).toMatchObject({ incremental: true, end: undefined });
    await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', InvalidBackupSequence);
    await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', InvalidBackupSequence);
    await expectJet(() => s.api.openFile(s.inst, s.db.path), 'openFile', InvalidBackupSequence); // before GetLogInfo too
    expect(s.engine.lastBackup(s.inst)).toMatchObject({ end: 'killed', killedBy: InvalidBackupSequence });
    await expectJet(() => s.api.getLogInfo(s.inst), 'getLogInfo', NoBackup);

    await s.api.beginExternalBackup(s.inst, INCREMENTAL); // killing it did not lose the base
    await expectJet(() => s.api.getAttachInfo(s.inst), 'getAttachInfo', InvalidBackupSequence);
    await expectJet(() => s.api.truncateLog(s.inst), 'truncateLog', InvalidBackupSequence); // GetLogInfo never called
    const logs = await s.api.getLogInfo(s.inst); // the session survived -521 from GetAttachInfo
    expect(logs.length).toBeGreaterThan(0);
    await expectJet(() => s.api.openFile(s.inst, full.sourceDatabases[0]!), 'openFile', InvalidBackupSequence);
    expect(s.engine.lastBackup(s.inst)).toMatchObject({ incremental: true, end: 'killed', killedBy: InvalidBackupSequence });
  });

  it('copies every log on disk: everything written since the truncating full backup', async () => {
    const s = await setupOne(backend);
    const full = await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize, truncate: true });
    await fill(s.db, 40, 2048, 'inc');
    const onDisk = s.engine.instanceInfo(s.inst).logGenerations;
    expect(Math.min(...onDisk)).toBe(full.logInfo.genHigh + 1);
    const inc = await backup(s.api, s.inst, await tempDir(), { readSize: s.readSize, incremental: true });
    expect(inc.logInfo.genLow).toBe(full.logInfo.genHigh + 1);
    expect(inc.logInfo.genHigh).toBe(Math.max(...onDisk)); // the log in use was rolled and copied
    expect(inc.logInfo.files.length).toBe(onDisk.length);
    for (const file of inc.logInfo.files) expect(path.dirname(file)).toBe(s.directory);
    expect(s.engine.lastBackup(s.inst)).toMatchObject({
      incremental: true,
      end: 'normal',
      genCopyMin: inc.logInfo.genLow,
      genCopyMax: inc.logInfo.genHigh + 1,
    });

    // Without truncation the next incremental copies the same logs again, plus the new ones.
    const again = await backup(s.api, s.inst, await tempDir(), { readSize: s.readSize, incremental: true, truncate: true });
    expect(again.logInfo.genLow).toBe(inc.logInfo.genLow);
    expect(again.logInfo.genHigh).toBeGreaterThan(inc.logInfo.genHigh);
    expect(again.truncateList).toEqual(again.logInfo.files);
    expect(s.engine.instanceInfo(s.inst).logGenerations).toEqual([again.logInfo.genHigh + 1]);
  });

  it('a stop during an incremental backup ends it as abortedByServer', async () => {
    const s = await setupOne(backend);
    await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize, truncate: true });
    await fill(s.db, 8, 2048, 'inc');
    await s.api.beginExternalBackup(s.inst, INCREMENTAL);
    const logs = await s.api.getLogInfo(s.inst);
    await streamFile(s.api, s.inst, logs[0]!, s.readSize);
    s.api.stopBackup(s.inst);
    await expectJet(() => s.api.openFile(s.inst, logs[0]!), 'openFile', JET_err.BackupAbortByServer);
    await expectJet(() => s.api.truncateLog(s.inst), 'truncateLog', JET_err.BackupAbortByServer);
    await s.api
      .endExternalBackup(s.inst)
      .catch((e: unknown) => expectJet(() => Promise.reject(e), 'endExternalBackup', JET_err.BackupAbortByServer));
    expect(s.engine.lastBackup(s.inst)).toMatchObject({ incremental: true, end: 'abortedByServer' });
  });
});
