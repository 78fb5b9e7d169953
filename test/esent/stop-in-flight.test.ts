// JetStopBackupInstance is synchronous, on the main thread, while a read waits on a koffi worker thread
// inside JetReadFileInstance: the read already in the engine completes, the next call answers -801.
import { describe, expect, it } from 'vitest';
import { JET_err, JetError } from '../../src/jet/index.js';
import { streamFile } from '../conformance/helpers.js';
import { filledInstance, noCompiler, openNative, READ_SIZE } from './native-session.js';

/** A promise with its resolve function. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe.skipIf(noCompiler)('esent over the native library: a stop while a read is in flight', () => {
  it('the in-flight read completes with its bytes; the next read answers -801; Close and End still work', async () => {
    const entered = deferred();
    const release = deferred();
    let holdNextRead = false;
    const s = await openNative({
      // After the engine has read (the call is inside the engine), before the C function returns.
      after: async (c) => {
        if (c.api !== 'read' || !holdNextRead) return;
        holdNextRead = false;
        entered.resolve();
        await release.promise;
      },
    });
    const inst = await filledInstance(s.engine, 'stop');
    await s.api.beginExternalBackup(inst, 0);
    const [db] = await s.api.getAttachInfo(inst);
    const clean = await streamFile(s.api, inst, db!, READ_SIZE);
    const { handle } = await s.api.openFile(inst, db!);
    const buffer = new Uint8Array(3 * 4096); // the first read of a database: header, shadow, one page
    holdNextRead = true;
    const inFlight = s.api.readFile(inst, handle, buffer);
    await entered.promise; // a koffi worker thread now waits inside JetReadFileInstance
    const before = s.host.calls.length;
    expect(s.api.stopBackup(inst)).toBeUndefined(); // synchronous: it did not queue behind the read
    expect(s.host.calls.slice(before)).toMatchObject([{ api: 'stopBackup', err: 0 }]);
    release.resolve();
    expect(await inFlight).toBe(buffer.length);
    expect(Buffer.from(buffer).equals(clean.data.subarray(0, buffer.length))).toBe(true);
    const next = await s.api.readFile(inst, handle, buffer).catch((e: unknown) => e);
    expect(next).toBeInstanceOf(JetError);
    expect(next).toMatchObject({ err: JET_err.BackupAbortByServer, api: 'JetReadFileInstance' });
    await s.api.closeFile(inst, handle);
    await s.api.endExternalBackup(inst);
    expect(s.engine.lastBackup(inst)?.end).toBe('abortedByServer');
  });
});
