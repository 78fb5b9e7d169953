// Reference §7: the flows ManagedEsent's own tests drive (microsoft/ManagedEsent).
import path from 'node:path';
import { expect, it } from 'vitest';
import { JET_bit } from '../../src/jet/index.js';
import { describeEachBackend } from './backends.js';
import { fullBackup, setupOne, tempDir } from './helpers.js';

/** Entries as [key, hex] pairs: compares bytes whatever the Uint8Array subclass, with a readable diff. */
function hexEntries(entries: Array<[string, Uint8Array]>): Array<[string, string]> {
  return entries.map(([key, value]) => [key, Buffer.from(value).toString('hex')]);
}

describeEachBackend('$name: ManagedEsent flows (§7)', (backend) => {
  it('a full streaming backup, then the backed-up data checks out', async () => {
    const s = await setupOne(backend);
    await s.db.delete('k0003');
    await s.db.put('k0004', 'replaced');
    const expected = hexEntries(s.db.entries());
    const result = await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize });
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
    expect(result.databases.map((file) => path.basename(file))).toEqual([path.basename(s.db.path)]);
    expect(hexEntries(s.db.entries())).toEqual(expected); // the backup did not touch the source
    const restored = await s.engine.restore(result.files, { directory: await tempDir('ese-restore-') });
    expect(restored.databases.length).toBe(1);
    expect(hexEntries(restored.databases[0]!.entries())).toEqual(expected);
    expect([restored.genLow, restored.genHigh]).toEqual([result.logInfo.genLow, result.logInfo.genHigh]);
  });

  it('Begin, one read, Close, End2(Normal) succeeds', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const { handle } = await s.api.openFile(s.inst, db!);
    expect(await s.api.readFile(s.inst, handle, new Uint8Array(s.readSize))).toBeGreaterThan(0);
    await s.api.closeFile(s.inst, handle);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('abortedByCaller'); // End(Normal) before the log phase
  });

  it('Stop on a running instance with no backup succeeds', async () => {
    const s = await setupOne(backend);
    expect(s.api.stopBackup(s.inst)).toBeUndefined();
    expect(s.engine.lastBackup(s.inst)).toBeUndefined();
    await s.api.beginExternalBackup(s.inst, 0);
    expect((await s.api.getAttachInfo(s.inst)).length).toBe(1);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });
});
