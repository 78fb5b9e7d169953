// Open in an incremental before GetLogInfo. ESE is in its log phase from an incremental Begin
// (dev/ese/src/ese/backup.cxx: backupStateLogsAndPatchs), so a log opens and streams before GetLogInfo
// as after it, and a database answers -521 and kills the session. The chart cannot tell a log from a
// database there (no GetAttachInfo in an incremental): its verdict is `depends`, and it follows the
// engine's answer. The model-based suites leave this case out (test-model.ts `excluded`): which logs
// are archived at that moment is up to the fixture's history.
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { logFileName } from '../../src/engine/log-file-name.js';
import { JET_bit, JetError, type JetInstance } from '../../src/jet/index.js';
import { READ_SIZE, engineFixture, recordingApi, type EngineFixture } from './recording-api.js';

let fx: EngineFixture;
let inst: JetInstance;
beforeEach(async () => {
  fx = await engineFixture();
  inst = await fx.instance('inc');
  // A truncating full backup: the base an incremental needs.
  const e = fx.engine;
  await e.beginExternalBackup(inst, 0);
  const buffer = new Uint8Array(READ_SIZE);
  for (const file of await e.getLogInfo(inst)) {
    const { handle } = await e.openFile(inst, file);
    while ((await e.readFile(inst, handle, buffer)) > 0);
    await e.closeFile(inst, handle);
  }
  await e.truncateLog(inst);
  await e.endExternalBackup(inst, JET_bit.BackupEndNormal);
  // A full backup's GetLogInfo rolls the log: the log of before is now archived, for the incremental.
  await e.beginExternalBackup(inst, 0);
  await e.getLogInfo(inst);
  await e.endExternalBackup(inst, JET_bit.BackupEndAbort);
});

/** The path of the lowest archived log (not the one being written). */
function archivedLog(db: string): string {
  const gens = fx.engine.instanceInfo(inst).logGenerations;
  expect(gens.length).toBeGreaterThan(1);
  return path.join(path.dirname(db), logFileName('edb', gens[0]!));
}
afterEach(() => fx.close());

const err = (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (e: unknown) => (e as JetError).err,
  );

it('the engine: an archived log opens and streams before GetLogInfo; a database answers -521 and kills the session', async () => {
  const e = fx.engine;
  const db = e.instanceInfo(inst).databases[0]!;
  const log = archivedLog(db);
  await e.beginExternalBackup(inst, JET_bit.BackupIncremental);
  const { handle, size } = await e.openFile(inst, log);
  expect(size).toBeGreaterThan(0n);
  const buffer = new Uint8Array(READ_SIZE);
  let bytes = 0;
  for (let n; (n = await e.readFile(inst, handle, buffer)) > 0;) bytes += n;
  expect(BigInt(bytes)).toBe(size);
  await e.closeFile(inst, handle);
  expect((await e.getLogInfo(inst)).length).toBeGreaterThan(0);
  await e.endExternalBackup(inst, JET_bit.BackupEndAbort);
  await e.beginExternalBackup(inst, JET_bit.BackupIncremental);
  expect(await err(e.openFile(inst, db))).toBe(-521);
  expect(await err(e.getLogInfo(inst))).toBe(-520); // killed
  expect(e.lastBackup(inst)).toMatchObject({ end: 'killed', killedBy: -521 });
});

it('through the coordinator: the call reaches the engine and the chart follows its answer', async () => {
  const api = recordingApi(fx.engine);
  const c = createCoordinator({ api });
  const b = c.session(inst);
  const db = fx.engine.instanceInfo(inst).databases[0]!;
  const log = archivedLog(db);
  await b.beginExternalBackup(inst, JET_bit.BackupIncremental);
  expect(c.verdict(inst, { type: 'OPEN_FILE', name: log })).toMatchObject({ kind: 'depends', errs: [-521, -569] });
  const { handle } = await b.openFile(inst, log);
  expect(c.snapshot(inst).value).toMatchObject({ backup: { session: { phase: { logs: 'incremental' }, file: 'open' } } });
  await b.closeFile(inst, handle);
  expect(await err(b.openFile(inst, db))).toBe(-521);
  expect(api.count('openFile')).toBe(2);
  expect(c.snapshot(inst).value).toMatchObject({ backup: { noSession: 'killed' } });
  expect(c.snapshot(inst).context.outcome).toEqual({ kind: 'failed', err: -521 });
});
