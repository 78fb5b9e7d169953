// Lists: a NULL buffer first for the size, then the list; a list that grew in between is asked for again.
import { describe, expect, it } from 'vitest';
import { decodeMultiString, encodeMultiString } from '../../src/esent/index.js';
import { JET_bit } from '../../src/jet/index.js';
import { streamFile } from '../conformance/helpers.js';
import type { ShimCall, ShimResult } from '../native/esent-shim-host.js';
import { filledInstance, noCompiler, openNative, READ_SIZE } from './native-session.js';

describe.skipIf(noCompiler)('esent over the native library: lists', () => {
  it('a list larger than the first buffer: pcbActual > cbMax, so the binding asks again and gets all of it', async () => {
    let grow: ((c: ShimCall) => Promise<void>) | undefined;
    const s = await openNative({ before: (c) => grow?.(c) });
    const inst = await filledInstance(s.engine, 'grow');
    await s.api.beginExternalBackup(inst, 0);
    // Between the sizing call (NULL buffer) and the read, attach two databases with long names.
    let sized = false;
    grow = async (c) => {
      if (c.api !== 'attachInfo') return;
      if (c.flags & 1 /* FLAG_NULL_BUFFER */) sized = true;
      else if (sized) {
        sized = false;
        grow = undefined;
        await s.engine.createDatabase(inst, `${'a'.repeat(100)}.edb`);
        await s.engine.createDatabase(inst, `${'b'.repeat(100)}.edb`);
      }
    };
    const list = await s.api.getAttachInfo(inst);
    expect(list).toEqual(s.engine.instanceInfo(inst).databases);
    expect(list).toHaveLength(3);
    const calls = s.host.calls.filter((c) => c.api === 'attachInfo');
    expect(calls.map((c) => [c.flags & 1, c.cb])).toEqual([
      [1, 0], // the size, with a NULL buffer
      [0, calls[1]!.cb], // the list as it was: truncated by the time it was read
      [0, calls[2]!.cb], // again, with room for the whole list
    ]);
    expect(calls[2]!.cb).toBeGreaterThan(calls[1]!.cb);
    await s.api.endExternalBackup(inst, JET_bit.BackupEndAbort);
  });

  it('an empty list (a single NUL) decodes to no files: truncate info after TruncateLog; JET_LOGINFO_W crosses intact', async () => {
    const s = await openNative();
    const inst = await filledInstance(s.engine, 'empty', 'test.edb', 8, { baseName: 'xyz' });
    await s.api.beginExternalBackup(inst, 0);
    const [db] = await s.api.getAttachInfo(inst);
    await streamFile(s.api, inst, db!, READ_SIZE);
    const info = await s.api.getLogInfo2(inst);
    expect(info.baseName).toBe('xyz');
    expect(info.genHigh - info.genLow + 1).toBe(info.files.length);
    for (const log of info.files) await streamFile(s.api, inst, log, READ_SIZE);
    expect((await s.api.getTruncateLogInfo(inst)).length).toBeGreaterThan(0);
    await s.api.truncateLog(inst);
    expect(await s.api.getTruncateLogInfo(inst)).toEqual([]);
    const last = s.host.calls.filter((c) => c.api === 'truncateInfo').at(-1)!;
    expect(last.flags & 1).toBe(0);
    await s.api.endExternalBackup(inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(inst)).toMatchObject({ end: 'normal', truncated: true });
  });

  it('as backup.cxx does: with a buffer, the log lists clamp *pcbActual to cbMax while GetAttachInfo reports the full size', async () => {
    const s = await openNative();
    const inst = await filledInstance(s.engine, 'clamp');
    const lib = s.api.library;
    await s.api.beginExternalBackup(inst, 0);
    const attachFull = (await lib.JetGetAttachInfoInstanceW(inst, null, 0)).cbActual;
    const small = Buffer.alloc(6);
    const attach = await lib.JetGetAttachInfoInstanceW(inst, small, small.length);
    expect(attach).toEqual({ err: 0, cbActual: attachFull });
    expect(attachFull).toBeGreaterThan(small.length);
    for (const call of [
      (b: Buffer | null, cb: number) => lib.JetGetLogInfoInstanceW(inst, b, cb),
      (b: Buffer | null, cb: number) => lib.JetGetLogInfoInstance2W(inst, b, cb),
      (b: Buffer | null, cb: number) => lib.JetGetTruncateLogInfoInstanceW(inst, b, cb),
    ]) {
      const full = (await call(null, 0)).cbActual;
      expect(full).toBeGreaterThan(small.length);
      const clamped = await call(small.fill(0), small.length);
      expect(clamped.err).toBe(0);
      expect(clamped.cbActual).toBe(small.length); // not `full`: the only sign of truncation is the missing NUL
      expect(decodeMultiString(small, clamped.cbActual)).toBeUndefined();
      const whole = Buffer.alloc(full);
      expect((await call(whole, full)).cbActual).toBe(full);
      expect(decodeMultiString(whole, full)?.length).toBeGreaterThan(0);
    }
    await s.api.endExternalBackup(inst, JET_bit.BackupEndAbort);
  });

  it('a log list longer than the buffer sized for it: a full buffer without its final NUL, so the binding asks again', async () => {
    let grow = false;
    const s = await openNative({
      after(c: ShimCall, r: ShimResult) {
        // Fault injection around the real engine: the first buffered answer is longer than the sizing said.
        if (grow && c.api === 'logInfo' && !(c.flags & 1) && r.data) {
          grow = false;
          const files = decodeMultiString(r.data, r.data.length)!;
          r.data = encodeMultiString([...files, `${files[0]!}.grown-in-between`]);
        }
      },
    });
    const inst = await filledInstance(s.engine, 'grown');
    await s.api.beginExternalBackup(inst, 0);
    grow = true;
    const logs = await s.api.getLogInfo(inst);
    expect(logs).toEqual((await s.api.getLogInfo2(inst)).files);
    const calls = s.host.calls.filter((c) => c.api === 'logInfo');
    expect(calls.map((c) => c.flags & 1)).toEqual([1, 0, 0]); // size, truncated list, again
    expect(calls[2]!.cb).toBeGreaterThan(calls[1]!.cb);
    await s.api.endExternalBackup(inst, JET_bit.BackupEndAbort);
  });
});
