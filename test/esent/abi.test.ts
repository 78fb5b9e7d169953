// What the binding hands esent.dll: page-aligned read buffers, only handles ESE gave out, pointer-sized instances.
import { describe, expect, it } from 'vitest';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import { streamFile } from '../conformance/helpers.js';
import { filledInstance, noCompiler, openNative, READ_SIZE } from './native-session.js';

const FLAG_MISALIGNED = 2;

describe.skipIf(noCompiler)('esent over the native library: the ABI contract', () => {
  it('reads reach C in a page-aligned buffer even into a view at an odd offset; a misaligned pv is -1003 and moves nothing', async () => {
    const s = await openNative();
    const inst = await filledInstance(s.engine, 'align');
    await s.api.beginExternalBackup(inst, 0);
    const [db] = await s.api.getAttachInfo(inst);
    const clean = await streamFile(s.api, inst, db!, READ_SIZE);
    const { handle } = await s.api.openFile(inst, db!);
    const lib = s.api.library;
    const aligned = lib.alignedBuffer(3 * 4096);
    expect(await lib.JetReadFileInstance(inst, handle, aligned.subarray(8), 2 * 4096)).toEqual({
      err: JET_err.InvalidParameter,
      cbActual: 0,
    });
    const backing = new Uint8Array(3 * 4096 + 2);
    const view = backing.subarray(1, 1 + 3 * 4096);
    expect(await s.api.readFile(inst, handle, view)).toBe(3 * 4096);
    expect(Buffer.from(view).equals(clean.data.subarray(0, 3 * 4096))).toBe(true); // the refused read moved nothing
    const reads = s.host.calls.filter((c) => c.api === 'read');
    expect(reads.at(-2)).toMatchObject({ flags: FLAG_MISALIGNED, err: JET_err.InvalidParameter });
    expect(reads.at(-1)).toMatchObject({ flags: 0, cb: 3 * 4096, arg: handle, err: 0 });
    await s.api.closeFile(inst, handle);
    await s.api.endExternalBackup(inst, JET_bit.BackupEndAbort);
  });

  it('a handle ESE never gave out never reaches ReadFile or CloseFile: ESE answers its session checks, then -1003', async () => {
    const s = await openNative();
    const inst = await filledInstance(s.engine, 'handles');
    const before = s.host.calls.length;
    await expect(s.api.readFile(inst, 5n, new Uint8Array(READ_SIZE))).rejects.toMatchObject({ err: JET_err.NoBackup });
    await s.api.beginExternalBackup(inst, 0);
    await expect(s.api.readFile(inst, 5n, new Uint8Array(READ_SIZE))).rejects.toMatchObject({
      err: JET_err.InvalidParameter,
      api: 'JetReadFileInstance',
    });
    await expect(s.api.closeFile(inst, 1n << 32n)).rejects.toMatchObject({ err: JET_err.InvalidParameter, api: 'JetCloseFileInstance' });
    const probes = s.host.calls.slice(before).filter((c) => c.api === 'read' || c.api === 'close');
    expect(probes.map((c) => [c.api, c.arg, c.flags])).toEqual([
      ['read', 0n, FLAG_MISALIGNED],
      ['read', 0n, FLAG_MISALIGNED],
      ['close', 0xffff_ffffn, 0], // (INT)0xFFFFFFFF is -1: ESE's own range check refuses it
    ]);
    await s.api.endExternalBackup(inst, JET_bit.BackupEndAbort);
  });

  it('an instance no pointer can hold answers -1003 without a call; the largest pointer value crosses exactly', async () => {
    const s = await openNative();
    const before = s.host.calls.length;
    for (const bad of [-1n, 1n << 64n, 1n << 70n]) {
      await expect(s.api.getAttachInfo(bad)).rejects.toMatchObject({ err: JET_err.InvalidParameter });
      expect(() => s.api.stopBackup(bad)).toThrow(expect.objectContaining({ err: JET_err.InvalidParameter }));
    }
    expect(s.host.calls.length).toBe(before);
    const max = (1n << 64n) - 1n;
    await expect(s.api.truncateLog(max)).rejects.toMatchObject({ err: JET_err.InvalidParameter });
    // Nil passes esent.dll's instance probe (-1003 later); any other non-instance fails it (-1115).
    expect(() => s.api.stopBackup(max - 1n)).toThrow(expect.objectContaining({ err: JET_err.InvalidInstance }));
    expect(s.host.calls.slice(before).map((c) => c.instance)).toEqual([max, max - 1n]);
  });
});
