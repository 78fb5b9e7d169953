// allowedCalls: the "calls now" table follows the chart through a real session on the engine.
import { afterEach, describe, expect, it } from 'vitest';
import { JET_bit } from '../../src/jet/index.js';
import { allowedCalls, isLoopbackHost, stopSourceLabel } from '../../src/inspect/index.js';
import { inspectorFixture, type InspectorFixture } from './inspector-fixture.js';

let fx: InspectorFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const table = (f: InspectorFixture) =>
  Object.fromEntries(allowedCalls(f.coordinator.snapshot(f.inst)).map((c) => [c.label, c.kind === 'refused' ? c.err : c.kind]));

describe('allowedCalls', () => {
  it('before, during, after a stop and after End', async () => {
    fx = await inspectorFixture();
    const f = fx;
    expect(table(f)).toMatchObject({
      JetBeginExternalBackupInstance: 'depends',
      JetGetAttachInfoInstance: -520,
      'JetEndExternalBackupInstance2(Normal)': -520,
      JetStopBackupInstance: 'allowed',
    });
    await f.backup.beginExternalBackup(f.inst, 0);
    const [db] = await f.backup.getAttachInfo(f.inst);
    const name = db!.split('/').pop()!;
    expect(table(f)).toMatchObject({
      JetBeginExternalBackupInstance: -505,
      [`JetOpenFileInstance(${name})`]: 'allowed',
      JetTruncateLogInstance: -521,
      JetCloseFileInstance: -1003,
    });
    const { handle } = await f.backup.openFile(f.inst, db!);
    expect(table(f)).toMatchObject({
      'JetReadFileInstance(32 KiB)': 'depends',
      JetCloseFileInstance: 'allowed',
      JetGetLogInfoInstance: -521,
      [`JetOpenFileInstance(${name})`]: -1011,
    });
    f.coordinator.stop(f.inst, 'test');
    expect(table(f)).toMatchObject({
      'JetReadFileInstance(32 KiB)': -801,
      JetGetLogInfoInstance: -801,
      JetCloseFileInstance: 'allowed',
      'JetEndExternalBackupInstance2(Abort)': 'allowed',
    });
    await f.backup.closeFile(f.inst, handle);
    await f.backup.endExternalBackup(f.inst, JET_bit.BackupEndAbort);
    expect(table(f)).toMatchObject({ JetBeginExternalBackupInstance: 'allowed', 'JetReadFileInstance(32 KiB)': -520 });
    const refused = allowedCalls(f.coordinator.snapshot(f.inst)).find((c) => c.event === 'GET_LOG_INFO');
    expect(refused).toMatchObject({ code: 'JET_errNoBackup', rule: 'no backup in progress' });
  });
});

describe('stopSourceLabel and isLoopbackHost', () => {
  it('name stop sources the way the page shows them', () => {
    expect(stopSourceLabel({ source: 'signal', detail: 'SIGINT', shutdown: true })).toBe('signal SIGINT');
    expect(stopSourceLabel({ source: 'event', detail: 'stop', shutdown: false })).toBe('app event (stop)');
    expect(stopSourceLabel({ source: 'shutdown', shutdown: true })).toBe('shutdown');
    expect(stopSourceLabel(undefined)).toBe('app');
  });
  it('accept loopback only', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1', '::ffff:10.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });
});
