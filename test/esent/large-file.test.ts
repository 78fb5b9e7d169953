// A file over 4 GiB: JetOpenFileInstanceW reports the size as two 32-bit halves; the binding joins them.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JET_bit } from '../../src/jet/index.js';
import { streamFile } from '../conformance/helpers.js';
import { filledInstance, noCompiler, openNative, READ_SIZE } from './native-session.js';

// 6 GiB + 64 KiB: high half 1, low half 0x80010000 (above 2^31, so a signed 32-bit reading would go wrong).
const SIZE = 0x1_8001_0000n;

describe.skipIf(noCompiler)('esent over the native library: files over 4 GiB', () => {
  it('a sparse log of 6 GiB + 64 KiB opens with its full size, and its first bytes read back unchanged', async () => {
    const s = await openNative();
    const inst = await filledInstance(s.engine, 'big');
    await s.api.beginExternalBackup(inst, 0);
    const [db] = await s.api.getAttachInfo(inst);
    await streamFile(s.api, inst, db!, READ_SIZE);
    const [log] = await s.api.getLogInfo(inst);
    const head = fs.readFileSync(log!).subarray(0, READ_SIZE);
    fs.truncateSync(log!, Number(SIZE)); // sparse: no blocks are written
    const { handle, size } = await s.api.openFile(inst, log!);
    expect(size).toBe(SIZE);
    expect(s.host.calls.at(-1)).toMatchObject({ api: 'open', text: log, err: 0 });
    const buffer = new Uint8Array(READ_SIZE);
    expect(await s.api.readFile(inst, handle, buffer)).toBe(READ_SIZE);
    expect(Buffer.from(buffer).equals(head)).toBe(true);
    await s.api.closeFile(inst, handle);
    await s.api.endExternalBackup(inst, JET_bit.BackupEndAbort);
    fs.truncateSync(log!, 0);
  });
});
