// Reference §3, Open / Read / Close rows in the database phase; docs/engine-rules.md "Open", "Read", "Handles".
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import { describeEachBackend } from './backends.js';
import { checkpoint, expectJet, readToEnd, setupOne, streamFile } from './helpers.js';

const { NoBackup, InvalidParameter, OutOfMemory, DatabaseNotFound, ReadVerifyFailure, DiskIO } = JET_err;

describeEachBackend('$name: JetOpenFileInstance, database phase (§3)', (backend) => {
  it('without a session answers -520, whatever the name', async () => {
    const s = await setupOne(backend);
    await expectJet(() => s.api.openFile(s.inst, s.db.path), 'openFile', NoBackup);
    await expectJet(() => s.api.openFile(s.inst, ''), 'openFile', NoBackup);
  });

  it('an empty name answers -1003, even with a handle open; the session continues', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    await expectJet(() => s.api.openFile(s.inst, ''), 'openFile', InvalidParameter);
    const { handle, size } = await s.api.openFile(s.inst, db!);
    expect(handle).toBe(0n); // docs/engine-rules.md: the handle is always 0n
    await expectJet(() => s.api.openFile(s.inst, ''), 'openFile', InvalidParameter);
    await readToEnd(s.api, s.inst, handle, s.readSize, size);
    await s.api.closeFile(s.inst, handle);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('a second Open while a handle is open answers -1011, and the first file streams on unchanged', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const clean = await streamFile(s.api, s.inst, db!, s.readSize);
    const { handle, size } = await s.api.openFile(s.inst, db!);
    expect(size).toBe(clean.size);
    const buffer = new Uint8Array(s.readSize);
    const first = await s.api.readFile(s.inst, handle, buffer);
    const head = Buffer.from(buffer.subarray(0, first));
    await expectJet(() => s.api.openFile(s.inst, db!), 'openFile', OutOfMemory);
    await expectJet(() => s.api.openFile(s.inst, path.join(s.directory, 'nope.edb')), 'openFile', OutOfMemory); // -1011 before -1203
    const rest = await readToEnd(s.api, s.inst, handle, s.readSize, size - BigInt(first));
    expect(Buffer.concat([head, rest]).equals(clean.data)).toBe(true);
    await s.api.closeFile(s.inst, handle);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('anything but an attached database answers -1203 and the session continues', async () => {
    const s = await setupOne(backend);
    const logs = s.engine.instanceInfo(s.inst).logGenerations;
    expect(logs.length).toBeGreaterThan(0);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const others = [
      path.join(s.directory, 'edb.log'),
      path.join(s.directory, 'edb.chk'),
      s.directory,
      path.join(s.directory, 'missing.edb'),
      '/nonexistent/dir/test.edb',
      'relative-nonexistent.edb',
      path.join(path.dirname(db!), 'TEST.EDB.bak'),
    ];
    for (const other of others) {
      await expectJet(() => s.api.openFile(s.inst, other), 'openFile', DatabaseNotFound);
      await expectJet(() => s.api.readFile(s.inst, 0n, new Uint8Array(s.readSize)), 'readFile', InvalidParameter); // nothing opened
    }
    await streamFile(s.api, s.inst, db!, s.readSize);
    await s.api.getLogInfo(s.inst);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it('resolves the name like ESE: a relative or unnormalized path to the database opens it', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    expect(path.isAbsolute(db!)).toBe(true);
    const clean = await streamFile(s.api, s.inst, db!, s.readSize);
    const relative = path.relative(process.cwd(), db!);
    const dir = path.dirname(db!);
    const unnormalized = `${dir}/./../${path.basename(dir)}//./${path.basename(db!)}`;
    for (const name of [relative, unnormalized]) {
      expect((await streamFile(s.api, s.inst, name, s.readSize)).data.equals(clean.data)).toBe(true);
    }
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });
});

describeEachBackend('$name: JetReadFileInstance and JetCloseFileInstance (§3)', (backend) => {
  it('without a session: -520 for Read and Close, before any handle or buffer check', async () => {
    const s = await setupOne(backend);
    await expectJet(() => s.api.readFile(s.inst, 0n, new Uint8Array(s.readSize)), 'readFile', NoBackup);
    await expectJet(() => s.api.readFile(s.inst, 5n, new Uint8Array(1)), 'readFile', NoBackup);
    await expectJet(() => s.api.closeFile(s.inst, 0n), 'closeFile', NoBackup);
    await expectJet(() => s.api.closeFile(s.inst, 5n), 'closeFile', NoBackup);
  });

  it('with no file open, Read and Close answer -1003 and the session continues', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    await expectJet(() => s.api.readFile(s.inst, 0n, new Uint8Array(s.readSize)), 'readFile', InvalidParameter);
    await expectJet(() => s.api.closeFile(s.inst, 0n), 'closeFile', InvalidParameter);
    const [db] = await s.api.getAttachInfo(s.inst);
    await streamFile(s.api, s.inst, db!, s.readSize);
    await expectJet(() => s.api.closeFile(s.inst, 0n), 'closeFile', InvalidParameter); // closed already
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('refused reads (bad handle, bad sizes, first read below 3 pages) do not move the offset', async () => {
    const s = await setupOne(backend);
    const P = s.pageSize;
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const clean = await streamFile(s.api, s.inst, db!, s.readSize);
    const { handle, size } = await s.api.openFile(s.inst, db!);
    const refuse = (h: bigint, length: number) =>
      expectJet(() => s.api.readFile(s.inst, h, new Uint8Array(length)), 'readFile', InvalidParameter);
    for (const h of [1n, 2n, -1n, 1n << 64n]) await refuse(h, 3 * P);
    await refuse(1n, 1); // handle and buffer both wrong: still -1003
    for (const length of [0, 1, 511, P - 1, P + 1, 3 * P - 1, 3 * P + 1, 3 * P + 512]) await refuse(handle, length);
    for (const length of [P, 2 * P]) await refuse(handle, length); // first database read below 3 pages
    const chunks: Buffer[] = [];
    const first = new Uint8Array(3 * P);
    expect(await s.api.readFile(s.inst, handle, first)).toBe(3 * P);
    chunks.push(Buffer.from(first));
    // After the first read, one page is enough; bad sizes are still refused.
    await refuse(handle, P + 1);
    await refuse(handle, 0);
    const page = new Uint8Array(P);
    expect(await s.api.readFile(s.inst, handle, page)).toBe(P);
    chunks.push(Buffer.from(page));
    await refuse(5n, P);
    chunks.push(await readToEnd(s.api, s.inst, handle, s.readSize, size - BigInt(4 * P)));
    expect(Buffer.concat(chunks).equals(clean.data)).toBe(true);
    expect(await s.api.readFile(s.inst, handle, page)).toBe(0); // EOF stays EOF
    for (const h of [1n, -1n]) await expectJet(() => s.api.closeFile(s.inst, h), 'closeFile', InvalidParameter);
    await s.api.closeFile(s.inst, handle); // the bad closes left it open
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('reads into exactly the bytes of the Uint8Array it is given (a view at an odd offset)', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const clean = await streamFile(s.api, s.inst, db!, s.readSize);
    const { handle } = await s.api.openFile(s.inst, db!);
    const backing = new Uint8Array(s.readSize + 2).fill(0xa5);
    const view = backing.subarray(1, 1 + s.readSize);
    expect(await s.api.readFile(s.inst, handle, view)).toBe(s.readSize);
    expect(Buffer.from(view).equals(clean.data.subarray(0, s.readSize))).toBe(true);
    expect([backing[0], backing[backing.length - 1]]).toEqual([0xa5, 0xa5]);
    await s.api.closeFile(s.inst, handle);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });

  it('a corrupt page answers -1018 at the read that reaches it; the file is closed, the session continues', async () => {
    const s = await setupOne(backend);
    const P = s.pageSize;
    await checkpoint(s.api, s.inst); // every page on disk
    const lastPgno = (await stat(s.db.path)).size / P - 2;
    expect(lastPgno).toBeGreaterThan(3);
    await s.engine.injectFault(s.inst, { kind: 'corruptPage', database: s.db.path, pgno: lastPgno });
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    for (let attempt = 0; attempt < 2; attempt++) {
      const { handle } = await s.api.openFile(s.inst, db!);
      const buffer = new Uint8Array(3 * P);
      let streamed = 0;
      for (;;) {
        try {
          const n = await s.api.readFile(s.inst, handle, buffer);
          expect(n).toBeGreaterThan(0);
          streamed += n;
        } catch (e) {
          await expectJet(() => Promise.reject(e), 'readFile', ReadVerifyFailure);
          break;
        }
      }
      // page i of the stream is pgno i - 1: the failing read is the one that covers it
      expect(streamed).toBeLessThanOrEqual((lastPgno + 1) * P);
      expect(streamed + 3 * P).toBeGreaterThan((lastPgno + 1) * P);
      await expectJet(() => s.api.readFile(s.inst, handle, buffer), 'readFile', InvalidParameter); // closed
      await expectJet(() => s.api.closeFile(s.inst, handle), 'closeFile', InvalidParameter);
    }
    for (const log of await s.api.getLogInfo(s.inst)) await streamFile(s.api, s.inst, log, s.readSize);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
  });

  it('an injected I/O error answers -1022 once, closes the file, and the session continues', async () => {
    const s = await setupOne(backend);
    await s.api.beginExternalBackup(s.inst, 0);
    const [db] = await s.api.getAttachInfo(s.inst);
    const clean = await streamFile(s.api, s.inst, db!, s.readSize);
    const { handle } = await s.api.openFile(s.inst, db!);
    const buffer = new Uint8Array(s.readSize);
    expect(await s.api.readFile(s.inst, handle, buffer)).toBe(s.readSize);
    await s.engine.injectFault(s.inst, { kind: 'readError', file: db! });
    await expectJet(() => s.api.readFile(s.inst, handle, buffer), 'readFile', DiskIO);
    await expectJet(() => s.api.closeFile(s.inst, handle), 'closeFile', InvalidParameter);
    expect((await streamFile(s.api, s.inst, db!, s.readSize)).data.equals(clean.data)).toBe(true);
    await s.api.endExternalBackup(s.inst, JET_bit.BackupEndAbort);
  });
});
