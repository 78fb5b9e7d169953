// Reference §3, GetLogInfo / GetTruncateLogInfo / Open and Read of logs / sessions killed by the engine.
import path from 'node:path';
import { expect, it } from 'vitest';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import type { JetBackupApi, JetInstance } from '../../src/jet/index.js';
import { describeEachBackend } from './backends.js';
import { expectJet, fullBackup, readToEnd, setupOne, streamFile, tempDir } from './helpers.js';

const { NoBackup, InvalidBackupSequence, InvalidParameter, MissingFileToBackup, LogReadVerifyFailure, DatabaseNotFound, OutOfMemory } =
  JET_err;

/** After the engine killed a session: every call answers -520 until a new Begin, which works. */
async function expectKilled(
  api: JetBackupApi,
  inst: JetInstance,
  by: number,
  killedBy: () => number | undefined,
  file: string,
): Promise<void> {
  expect(killedBy()).toBe(by);
  await expectJet(() => api.getAttachInfo(inst), 'getAttachInfo', NoBackup);
  await expectJet(() => api.openFile(inst, file), 'openFile', NoBackup);
  await expectJet(() => api.readFile(inst, 0n, new Uint8Array(64 * 1024)), 'readFile', NoBackup);
  await expectJet(() => api.closeFile(inst, 0n), 'closeFile', NoBackup);
  await expectJet(() => api.getLogInfo(inst), 'getLogInfo', NoBackup);
  await expectJet(() => api.truncateLog(inst), 'truncateLog', NoBackup);
  await expectJet(() => api.endExternalBackup(inst), 'endExternalBackup', NoBackup);
  await api.beginExternalBackup(inst, 0);
  await api.endExternalBackup(inst, JET_bit.BackupEndAbort);
}

describeEachBackend('$name: GetLogInfo and GetTruncateLogInfo (§3)', (backend) => {
  it('without a session: -520', async () => {
    const s = await setupOne(backend);
    await expectJet(() => s.api.getLogInfo(s.inst), 'getLogInfo', NoBackup);
    await expectJet(() => s.api.getLogInfo2(s.inst), 'getLogInfo2', NoBackup);
    await expectJet(() => s.api.getTruncateLogInfo(s.inst), 'getTruncateLogInfo', NoBackup);
    await expectJet(() => s.api.truncateLog(s.inst), 'truncateLog', NoBackup);
  });

  it('with a handle open: -521, nothing rolls, and the session continues', async () => {
    const s = await setupOne(backend);
    const generation = s.engine.instanceInfo(s.inst).currentGeneration;
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const { handle, size } = await s.api.openFile(s.inst, db!);
    await expectJet(() => s.api.getLogInfo(s.inst), 'getLogInfo', InvalidBackupSequence);
    await expectJet(() => s.api.getLogInfo2(s.inst), 'getLogInfo2', InvalidBackupSequence);
    await expectJet(() => s.api.getTruncateLogInfo(s.inst), 'getTruncateLogInfo', InvalidBackupSequence);
    expect(s.engine.instanceInfo(s.inst).currentGeneration).toBe(generation);
    await readToEnd(s.api, s.inst, handle, s.readSize, size);
    await s.api.closeFile(s.inst, handle);
    const logs = await s.api.getLogInfo(s.inst);
    const log = await s.api.openFile(s.inst, logs[0]!);
    await expectJet(() => s.api.getLogInfo(s.inst), 'getLogInfo', InvalidBackupSequence); // a log handle too
    await s.api.closeFile(s.inst, log.handle);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('the first call rolls the log and fixes the ranges; later calls return the same lists', async () => {
    const s = await setupOne(backend);
    const before = s.engine.instanceInfo(s.inst);
    await s.api.beginExternalBackup(s.inst, 0);
    const files = await s.api.getLogInfo(s.inst);
    const info = await s.api.getLogInfo2(s.inst);
    expect(info.files).toEqual(files);
    expect(info.baseName).toBe('edb');
    expect(info.genLow).toBe(before.checkpointGeneration); // full: from the checkpoint at Begin
    expect(info.genHigh).toBe(before.currentGeneration); // the log in use was rolled and is copied
    expect(files.length).toBe(info.genHigh - info.genLow + 1);
    for (const file of files) {
      expect(path.isAbsolute(file)).toBe(true);
      expect(path.dirname(file)).toBe(s.directory);
      expect(file).toMatch(/\.log$/);
    }
    expect(new Set(files).size).toBe(files.length);
    expect(s.engine.instanceInfo(s.inst).currentGeneration).toBe(before.currentGeneration + 1);
    expect(s.engine.lastBackup(s.inst)).toMatchObject({ genCopyMin: info.genLow, genCopyMax: info.genHigh + 1 });
    const truncate = await s.api.getTruncateLogInfo(s.inst);
    expect(truncate.length).toBe(info.genHigh + 1 - Math.min(...before.logGenerations));
    expect(truncate.slice(-files.length)).toEqual(files);
    expect(await s.api.getLogInfo(s.inst)).toEqual(files);
    expect(await s.api.getLogInfo2(s.inst)).toEqual(info);
    expect(await s.api.getTruncateLogInfo(s.inst)).toEqual(truncate);
    expect(s.engine.instanceInfo(s.inst).currentGeneration).toBe(before.currentGeneration + 1); // no second roll
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('GetTruncateLogInfo first also rolls and enters the log phase (a database Open is then -521)', async () => {
    const s = await setupOne(backend);
    const before = s.engine.instanceInfo(s.inst);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const truncate = await s.api.getTruncateLogInfo(s.inst);
    expect(s.engine.instanceInfo(s.inst).currentGeneration).toBe(before.currentGeneration + 1);
    const info = await s.api.getLogInfo2(s.inst);
    expect(info.genHigh).toBe(before.currentGeneration);
    expect(truncate.slice(-info.files.length)).toEqual(info.files);
    await expectJet(() => s.api.openFile(s.inst, db!), 'openFile', InvalidBackupSequence);
    await expectKilled(s.api, s.inst, InvalidBackupSequence, () => s.engine.lastBackup(s.inst)?.killedBy, db!);
  });

  it('honours the instance base name', async () => {
    const s = await setupOne(backend, { options: { baseName: 'abc' } });
    await s.api.beginExternalBackup(s.inst, 0);
    const info = await s.api.getLogInfo2(s.inst);
    expect(info.baseName).toBe('abc');
    for (const file of info.files) expect(path.basename(file)).toMatch(/^abc[0-9A-F]{5}\.log$/i);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });
});

describeEachBackend('$name: Open and Read of logs (§3)', (backend) => {
  it('a log is -1203 in the database phase and opens in the log phase', async () => {
    const s = await setupOne(backend);
    const first = await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize });
    await s.api.beginExternalBackup(s.inst, 0);
    for (const log of first.logInfo.files) await expectJet(() => s.api.openFile(s.inst, log), 'openFile', DatabaseNotFound);
    const logs = await s.api.getLogInfo(s.inst);
    for (const log of logs) await streamFile(s.api, s.inst, log, s.readSize);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
  });

  it('read sizes: a multiple of the page size, at least 2 pages on the first read; refusals do not move the offset', async () => {
    const s = await setupOne(backend);
    const P = s.pageSize;
    await s.api.beginExternalBackup(s.inst, 0);
    const [log] = await s.api.getLogInfo(s.inst);
    const clean = await streamFile(s.api, s.inst, log!, s.readSize);
    const { handle, size } = await s.api.openFile(s.inst, log!);
    for (const length of [0, 1, P - 1, P, P + 1, 2 * P - 1, 2 * P + 1]) {
      await expectJet(() => s.api.readFile(s.inst, handle, new Uint8Array(length)), 'readFile', InvalidParameter);
    }
    const two = new Uint8Array(2 * P);
    expect(await s.api.readFile(s.inst, handle, two)).toBe(2 * P);
    const one = new Uint8Array(P);
    expect(await s.api.readFile(s.inst, handle, one)).toBe(P); // one page is fine after the first read
    const rest = await readToEnd(s.api, s.inst, handle, P, size - BigInt(3 * P));
    expect(Buffer.concat([two, one, rest]).equals(clean.data)).toBe(true);
    await s.api.closeFile(s.inst, handle);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('an empty name is -1003; a database with a log open is -1011; both leave the session alive', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const logs = await s.api.getLogInfo(s.inst);
    await expectJet(() => s.api.openFile(s.inst, ''), 'openFile', InvalidParameter);
    const { handle, size } = await s.api.openFile(s.inst, logs[0]!);
    await expectJet(() => s.api.openFile(s.inst, db!), 'openFile', OutOfMemory);
    await readToEnd(s.api, s.inst, handle, s.readSize, size);
    await s.api.closeFile(s.inst, handle);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it('a database in the log phase answers -521 and kills the session', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    await s.api.getLogInfo(s.inst);
    await expectJet(() => s.api.openFile(s.inst, db!), 'openFile', InvalidBackupSequence);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('killed');
    await expectKilled(s.api, s.inst, InvalidBackupSequence, () => s.engine.lastBackup(s.inst)?.killedBy, db!);
  });

  it('any path outside the copy range answers -569 and kills the session', async () => {
    const s = await setupOne(backend);
    const others = [
      path.join(s.directory, 'edb.log'),
      path.join(s.directory, 'edb.chk'),
      path.join(s.directory, 'nope.log'),
      '/nonexistent/x.log',
    ];
    for (const other of others) {
      await s.api.beginExternalBackup(s.inst, 0);
      await s.api.getLogInfo(s.inst);
      await expectJet(() => s.api.openFile(s.inst, other), 'openFile', MissingFileToBackup);
      expect(s.engine.lastBackup(s.inst)?.end).toBe('killed');
      await expectKilled(s.api, s.inst, MissingFileToBackup, () => s.engine.lastBackup(s.inst)?.killedBy, other);
    }
  });

  it('a missing log answers -569 and kills the session', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const info = await s.api.getLogInfo2(s.inst);
    await s.engine.injectFault(s.inst, { kind: 'missingLog', generation: info.genLow });
    await expectJet(() => s.api.openFile(s.inst, info.files[0]!), 'openFile', MissingFileToBackup);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('killed');
    await expectKilled(s.api, s.inst, MissingFileToBackup, () => s.engine.lastBackup(s.inst)?.killedBy, info.files[0]!);
  });

  it('a corrupt log answers -612 at its first read and kills the session', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const info = await s.api.getLogInfo2(s.inst);
    const last = info.files.length - 1;
    for (let i = 0; i < last; i++) await streamFile(s.api, s.inst, info.files[i]!, s.readSize);
    await s.engine.injectFault(s.inst, { kind: 'corruptLog', generation: info.genHigh });
    const { handle } = await s.api.openFile(s.inst, info.files[last]!);
    await expectJet(() => s.api.readFile(s.inst, handle, new Uint8Array(s.readSize)), 'readFile', LogReadVerifyFailure);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('killed');
    await expectKilled(s.api, s.inst, LogReadVerifyFailure, () => s.engine.lastBackup(s.inst)?.killedBy, info.files[last]!);
  });
});
