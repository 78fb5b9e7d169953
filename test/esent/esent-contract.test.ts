// The reference's contract, checked through the binding alone (no embedded engine for setup or
// observation): here over the esent shim; on Windows with ESE_SYSTEM_ESENT=1 (npm run test:esent) over
// the system esent.dll, in private instances under a temp directory.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createEsentBackend, JET_param, type EsentBackend } from '../../src/esent/index.js';
import { JET_bit, JET_err, JET_instanceNil, check, type JetInstance } from '../../src/jet/index.js';
import { readToEnd, streamFile } from '../conformance/helpers.js';
import { noCompiler, openNative, tempDirectory } from './native-session.js';

const systemEsent = process.platform === 'win32' && process.env.ESE_SYSTEM_ESENT === '1';
/** A multiple of every ESE page size, and at least 3 pages of 32 KiB. */
const READ = 128 * 1024;
const INVALID_INSTANCE = [JET_err.InvalidParameter, JET_err.InvalidInstance];
let counter = 0;

/** The backend under test and a private instance with one new database, terminated when the test ends. */
async function privateInstance(): Promise<{ api: EsentBackend; inst: JetInstance; db: string }> {
  const api = systemEsent ? createEsentBackend() : (await openNative()).api;
  const lib = api.library;
  const name = `contract${++counter}`;
  const dir = path.join(await tempDirectory('ese-contract-'), name) + path.sep;
  fs.mkdirSync(dir, { recursive: true });
  const created = await lib.JetCreateInstance2W(name, name, 0);
  check('JetCreateInstance2W', created.err);
  const inst = created.instance;
  for (const param of [JET_param.SystemPath, JET_param.LogFilePath, JET_param.TempPath]) {
    check(
      'JetSetSystemParameterW',
      await lib.JetSetSystemParameterW(inst, 0n, param, 0n, param === JET_param.TempPath ? `${dir}tmp.edb` : dir),
    );
  }
  check('JetSetSystemParameterW', await lib.JetSetSystemParameterW(inst, 0n, JET_param.CircularLog, 0n, null));
  check('JetInit', (await lib.JetInit(inst)).err);
  onTestFinished(() => api.term(inst, JET_bit.TermAbrupt).catch(() => undefined));
  const session = await lib.JetBeginSession(inst);
  check('JetBeginSession', session.err);
  const db = `${dir}contract.edb`;
  check('JetCreateDatabaseW', (await lib.JetCreateDatabaseW(session.sesid, db, 0)).err);
  return { api, inst, db };
}

const ended = (e: unknown) => expect(e).toMatchObject({ err: JET_err.BackupAbortByServer });

describe.skipIf(!systemEsent && noCompiler)(`esent contract over ${systemEsent ? 'the system esent.dll' : 'the esent shim'}`, () => {
  it('a full streaming backup: every byte of the database and the logs, then TruncateLog and End2(Normal)', async () => {
    const { api, inst, db } = await privateInstance();
    await api.beginExternalBackup(inst, 0);
    const databases = await api.getAttachInfo(inst);
    expect(databases.map((d) => d.toLowerCase())).toEqual([db.toLowerCase()]);
    const streamed = await streamFile(api, inst, databases[0]!, READ);
    expect(streamed.data.length).toBeGreaterThan(0);
    const info = await api.getLogInfo2(inst);
    expect(info.files.length).toBe(info.genHigh - info.genLow + 1);
    expect(await api.getLogInfo(inst)).toEqual(info.files);
    for (const log of info.files) await streamFile(api, inst, log, READ);
    await api.getTruncateLogInfo(inst);
    await api.truncateLog(inst);
    await api.endExternalBackup(inst, JET_bit.BackupEndNormal);
  });

  it('after a stop: -801 on every streaming call, -505 on Begin, Close allowed, End ends it; the next Begin works', async () => {
    const { api, inst } = await privateInstance();
    await api.beginExternalBackup(inst, 0);
    const [db] = await api.getAttachInfo(inst);
    const { handle } = await api.openFile(inst, db!);
    expect(await api.readFile(inst, handle, new Uint8Array(READ))).toBeGreaterThan(0);
    expect(api.stopBackup(inst)).toBeUndefined();
    for (const run of [
      () => api.readFile(inst, handle, new Uint8Array(READ)),
      () => api.getAttachInfo(inst),
      () => api.openFile(inst, db!),
      () => api.getLogInfo(inst),
      () => api.getLogInfo2(inst),
      () => api.getTruncateLogInfo(inst),
      () => api.truncateLog(inst),
    ])
      await run().then(() => expect.fail('expected -801'), ended);
    await expect(api.beginExternalBackup(inst, 0)).rejects.toMatchObject({ err: JET_err.BackupInProgress });
    api.stopBackup(inst); // idempotent
    await api.closeFile(inst, handle);
    await api.endExternalBackup(inst).catch(ended); // 0 in the source; the docs also list -801
    await api.beginExternalBackup(inst, 0);
    expect(await api.getAttachInfo(inst)).toHaveLength(1);
    await api.endExternalBackup(inst, JET_bit.BackupEndAbort);
  });

  it('without a session: Stop succeeds, the streaming calls answer -520', async () => {
    const { api, inst } = await privateInstance();
    api.stopBackup(inst);
    await expect(api.getAttachInfo(inst)).rejects.toMatchObject({ err: JET_err.NoBackup });
    await expect(api.readFile(inst, 0n, new Uint8Array(READ))).rejects.toMatchObject({ err: JET_err.NoBackup });
    await expect(api.closeFile(inst, 0n)).rejects.toMatchObject({ err: JET_err.NoBackup });
    await expect(api.endExternalBackup(inst)).rejects.toMatchObject({ err: JET_err.NoBackup });
    await api.beginExternalBackup(inst, 0); // the stop had no lasting effect
    await api.endExternalBackup(inst, JET_bit.BackupEndAbort);
  });

  it('refusals that keep the session: unknown handles, bad buffer sizes, End2 grbits (-1003); Stop on NULL or Nil', async () => {
    const { api, inst } = await privateInstance();
    await api.beginExternalBackup(inst, 0);
    const [db] = await api.getAttachInfo(inst);
    await expect(api.readFile(inst, 5n, new Uint8Array(READ))).rejects.toMatchObject({ err: JET_err.InvalidParameter });
    await expect(api.closeFile(inst, 5n)).rejects.toMatchObject({ err: JET_err.InvalidParameter });
    const { handle, size } = await api.openFile(inst, db!);
    for (const n of [0, 1, 4095]) {
      await expect(api.readFile(inst, handle, new Uint8Array(n))).rejects.toMatchObject({ err: JET_err.InvalidParameter });
    }
    for (const grbit of [0, 0x3, 0x4]) {
      await expect(api.endExternalBackup(inst, grbit)).rejects.toMatchObject({ err: JET_err.InvalidParameter });
    }
    await readToEnd(api, inst, handle, READ, size);
    await api.closeFile(inst, handle);
    for (const bad of [0n, JET_instanceNil]) {
      try {
        api.stopBackup(bad);
        expect.fail('expected -1003 or -1115');
      } catch (e) {
        expect(INVALID_INSTANCE).toContain((e as { err: number }).err);
      }
    }
    await api.endExternalBackup(inst, JET_bit.BackupEndAbort);
  });
});
