// The one case the model-based suites leave out (test-model.ts `excluded`): Open in an incremental
// before GetLogInfo. The engine answers -521 to every path there, and kills the session only when
// the path is a database, which the chart cannot see (no GetAttachInfo in an incremental). The
// coordinator refuses the call before the engine, so the ambiguity never reaches a session.
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
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
});
afterEach(() => fx.close());

const err = (p: Promise<unknown>) => p.then(() => 0, (e: unknown) => (e as JetError).err);

it('the engine: -521 for a log (session continues) and for a database (session killed)', async () => {
  const e = fx.engine;
  const db = e.instanceInfo(inst).databases[0]!;
  await e.beginExternalBackup(inst, JET_bit.BackupIncremental);
  expect(await err(e.openFile(inst, path.join(path.dirname(db), 'edb00002.log')))).toBe(-521);
  expect(await err(e.getLogInfo(inst))).toBe(0);
  await e.endExternalBackup(inst, JET_bit.BackupEndAbort);
  await e.beginExternalBackup(inst, JET_bit.BackupIncremental);
  expect(await err(e.openFile(inst, db))).toBe(-521);
  expect(await err(e.getLogInfo(inst))).toBe(-520); // killed
  expect(e.lastBackup(inst)).toMatchObject({ end: 'killed', killedBy: -521 });
});

it('the coordinator refuses both with -521 without reaching the engine; the session survives', async () => {
  const api = recordingApi(fx.engine);
  const c = createCoordinator({ api });
  const b = c.session(inst);
  const db = fx.engine.instanceInfo(inst).databases[0]!;
  await b.beginExternalBackup(inst, JET_bit.BackupIncremental);
  expect(await err(b.openFile(inst, db))).toBe(-521);
  expect(await err(b.openFile(inst, path.join(path.dirname(db), 'edb00002.log')))).toBe(-521);
  expect(api.count('openFile')).toBe(0);
  expect((await b.getLogInfo(inst)).length).toBeGreaterThan(0);
  expect(c.snapshot(inst).value).toMatchObject({ backup: { session: { phase: 'incremental', stop: 'running' } } });
});
