// Reference §3 "Sizes and reads" and §6: page sizes, read sizes, and what a streamed database looks like.
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import type { PageSize } from '../../src/engine/embedded-engine-api.js';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import { describeEachBackend } from './backends.js';
import { checkpoint, expectJet, headerChecksum, readToEnd, setupOne, streamFile } from './helpers.js';

const PAGE_SIZES: PageSize[] = [4096, 8192, 16384, 32768];

describeEachBackend('$name: page sizes (§3, §6)', (backend) => {
  it.each(PAGE_SIZES)('page size %i: read sizes, streamed size = (last page + 3) x page size, header and trailer', async (P) => {
    const s = await setupOne(backend, { options: { pageSize: P } });
    expect(s.engine.instanceInfo(s.inst).pageSize).toBe(P);
    await checkpoint(s.api, s.inst); // every page on disk, so the file is the logical database
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const disk = await readFile(db!);
    expect(disk.length % P).toBe(0);
    const lastPgno = disk.length / P - 2;
    const { handle, size } = await s.api.openFile(s.inst, db!);
    expect(size).toBe(BigInt((lastPgno + 3) * P));

    const refused = [1, P - 1, P + 1, 3 * P + 1, 2 * P, P];
    if (P > 4096) refused.push(3 * 4096, 3 * P + 4096, 4096);
    for (const length of refused) {
      await expectJet(() => s.api.readFile(s.inst, handle, new Uint8Array(length)), 'readFile', JET_err.InvalidParameter);
    }
    const head = new Uint8Array(3 * P);
    expect(await s.api.readFile(s.inst, handle, head)).toBe(3 * P);
    if (P > 4096) await expectJet(() => s.api.readFile(s.inst, handle, new Uint8Array(4096)), 'readFile', JET_err.InvalidParameter);
    const rest = await readToEnd(s.api, s.inst, handle, P, size - BigInt(3 * P)); // one page at a time
    await s.api.closeFile(s.inst, handle);
    const stream = Buffer.concat([head, rest]);
    expect(stream.length).toBe(Number(size));

    const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
    for (const i of [0, 1]) {
      const page = stream.subarray(i * P, (i + 1) * P);
      expect(view.getUint32(i * P + 4, true)).toBe(0x89abcdef); // signature
      expect(view.getUint32(i * P + 236, true)).toBe(P); // page size
      expect(headerChecksum(page)).toBe(view.getUint32(i * P, true));
    }
    const trailer = stream.subarray(stream.length - P);
    expect(headerChecksum(trailer)).toBe(view.getUint32(stream.length - P, true));
    // Pages 1..N are the pages on disk at Open.
    expect(stream.subarray(2 * P, stream.length - P).equals(disk.subarray(2 * P))).toBe(true);

    const logs = await s.api.getLogInfo(s.inst);
    for (const log of logs) {
      const opened = await s.api.openFile(s.inst, log);
      await expectJet(() => s.api.readFile(s.inst, opened.handle, new Uint8Array(P)), 'readFile', JET_err.InvalidParameter);
      await expectJet(() => s.api.readFile(s.inst, opened.handle, new Uint8Array(2 * P + 1)), 'readFile', JET_err.InvalidParameter);
      const data = await readToEnd(s.api, s.inst, opened.handle, 2 * P, opened.size);
      await s.api.closeFile(s.inst, opened.handle);
      expect(data.equals(await readFile(log))).toBe(true); // a log streams as it is on disk
    }
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it('streams the same bytes whatever the (legal) read size', async () => {
    const s = await setupOne(backend, { options: { pageSize: 8192 } });
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const reference = await streamFile(s.api, s.inst, db!, 3 * 8192);
    for (const readSize of [4 * 8192, 64 * 1024, 1024 * 1024, 5 * 8192]) {
      expect((await streamFile(s.api, s.inst, db!, readSize)).data.equals(reference.data)).toBe(true);
    }
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });
});
