// Reference §3, the TruncateLog row; docs/engine-rules.md "TruncateLog".
import { access } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import { describeEachBackend } from './backends.js';
import { expectJet, fill, fullBackup, listDir, setupOne, streamFile, tempDir } from './helpers.js';

const { InvalidBackupSequence, LogFileNotCopied } = JET_err;

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describeEachBackend('$name: JetTruncateLogInstance (§3)', (backend) => {
  it('before GetLogInfo answers -521 and the session continues', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    await expectJet(() => s.api.truncateLog(s.inst), 'truncateLog', InvalidBackupSequence);
    const [db] = await s.api.getAttachInfo(s.inst);
    await streamFile(s.api, s.inst, db!, s.readSize);
    await expectJet(() => s.api.truncateLog(s.inst), 'truncateLog', InvalidBackupSequence);
    for (const log of await s.api.getLogInfo(s.inst)) await streamFile(s.api, s.inst, log, s.readSize);
    await s.api.truncateLog(s.inst);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)).toMatchObject({ end: 'normal', truncated: true });
  });

  it('-521 with a handle open, -616 while a log of the copy range is unread or partly read; nothing is deleted', async () => {
    const s = await setupOne(backend);
    const checkpointAtBegin = s.engine.instanceInfo(s.inst).checkpointGeneration;
    await s.api.beginExternalBackup(s.inst, 0);
    await fill(s.db, 40, 2048, 'during'); // more than a 64 KiB log: the copy range spans several logs
    const [db] = await s.api.getAttachInfo(s.inst);
    await streamFile(s.api, s.inst, db!, s.readSize);
    const logs = await s.api.getLogInfo(s.inst);
    expect(logs.length).toBeGreaterThan(1);
    // docs/engine-rules.md: a full backup copies from the checkpoint at Begin, however far the checkpoint moved since.
    expect((await s.api.getLogInfo2(s.inst)).genLow).toBe(checkpointAtBegin);
    expect(s.engine.instanceInfo(s.inst).checkpointGeneration).toBeGreaterThan(checkpointAtBegin);
    const before = await listDir(s.directory);
    await expectJet(() => s.api.truncateLog(s.inst), 'truncateLog', LogFileNotCopied);
    const last = logs.length - 1;
    for (let i = 0; i < last; i++) await streamFile(s.api, s.inst, logs[i]!, s.readSize);
    await expectJet(() => s.api.truncateLog(s.inst), 'truncateLog', LogFileNotCopied);

    // Read to EOF but not closed: the handle is checked first (-521).
    const open = await s.api.openFile(s.inst, logs[last]!);
    const buffer = new Uint8Array(s.readSize);
    while ((await s.api.readFile(s.inst, open.handle, buffer)) > 0);
    await expectJet(() => s.api.truncateLog(s.inst), 'truncateLog', InvalidBackupSequence);
    await s.api.closeFile(s.inst, open.handle);
    expect(await listDir(s.directory)).toEqual(before);
    await s.api.truncateLog(s.inst);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
  });

  it('a log read partly and closed still counts as not copied (-616)', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const logs = await s.api.getLogInfo(s.inst);
    for (const log of logs.slice(1)) await streamFile(s.api, s.inst, log, s.readSize);
    const partial = await s.api.openFile(s.inst, logs[0]!);
    expect(await s.api.readFile(s.inst, partial.handle, new Uint8Array(2 * s.pageSize))).toBe(2 * s.pageSize);
    await s.api.closeFile(s.inst, partial.handle);
    await expectJet(() => s.api.truncateLog(s.inst), 'truncateLog', LogFileNotCopied);
    await streamFile(s.api, s.inst, logs[0]!, s.readSize); // reopened and read whole
    await s.api.truncateLog(s.inst);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
  });

  it('deletes exactly the logs GetTruncateLogInfo listed, at once, and nothing else', async () => {
    const s = await setupOne(backend);
    // An older backup leaves logs below the checkpoint on disk: the truncate range starts at the lowest.
    await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize });
    await s.db.put('later', 'value');
    const before = s.engine.instanceInfo(s.inst);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    await streamFile(s.api, s.inst, db!, s.readSize);
    const info = await s.api.getLogInfo2(s.inst);
    for (const log of info.files) await streamFile(s.api, s.inst, log, s.readSize);
    const doomed = await s.api.getTruncateLogInfo(s.inst);
    const lowest = Math.min(...before.logGenerations);
    expect(doomed.length).toBe(info.genHigh + 1 - lowest);
    expect(doomed.length).toBeGreaterThan(info.files.length);
    for (const file of doomed) expect(await exists(file)).toBe(true);
    const listing = await listDir(s.directory);
    await s.api.truncateLog(s.inst);
    // Deleted before End, and only those.
    const gone = new Set(doomed.map((file) => path.basename(file)));
    expect(await listDir(s.directory)).toEqual(listing.filter((name) => !gone.has(name)));
    expect(s.engine.instanceInfo(s.inst).logGenerations).toEqual([info.genHigh + 1]); // only the log in use is left
    expect(await exists(db!)).toBe(true);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)).toMatchObject({ end: 'normal', truncated: true });
    expect(s.db.get('later')).toBeDefined();
  });
});
