// coordinator.hold / release: Begin refused with -523 before the engine while any hold is in force.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createCoordinator, type Coordinator } from '../../src/coordinator/index.js';
import { JET_bit, JET_err, JetError, type JetInstance } from '../../src/jet/index.js';
import { engineFixture, recordingApi, type EngineFixture, type RecordingApi } from './recording-api.js';

let fx: EngineFixture;
let api: RecordingApi;
let inst: JetInstance;
let coordinator: Coordinator;
beforeEach(async () => {
  fx = await engineFixture();
  api = recordingApi(fx.engine);
  inst = await fx.instance('one');
  coordinator = createCoordinator({ api });
});
afterEach(() => {
  coordinator.dispose();
  return fx.close();
});

it('a hold refuses Begin with -523 without reaching the engine; verdict says so; release lifts it only when every hold is released', async () => {
  const session = coordinator.session(inst);
  coordinator.hold('fleet:hold.all', { source: 'fleet', detail: 'hold.all by ops: freeze', shutdown: false });
  coordinator.hold('local', 'maintenance');
  expect(coordinator.verdict(inst, { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 })).toMatchObject({
    kind: 'refused',
    err: JET_err.BackupNotAllowedYet,
  });
  const e = await session.beginExternalBackup(inst, 0).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(JetError);
  expect((e as JetError).err).toBe(JET_err.BackupNotAllowedYet);
  expect((e as JetError).message).toMatch(/held \(fleet:hold\.all: fleet hold\.all by ops: freeze\) until released/);
  expect(api.count('beginExternalBackup')).toBe(0);
  expect([...coordinator.holds().keys()]).toEqual(['fleet:hold.all', 'local']);

  coordinator.release('fleet:hold.all');
  expect(coordinator.verdict(inst, { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 })).toMatchObject({
    kind: 'refused',
    rule: expect.stringMatching(/^held \(local: manual maintenance\)/),
  });
  coordinator.release('local');
  coordinator.release('never-held');
  expect(coordinator.verdict(inst, { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }).kind).not.toBe('refused');
  await session.beginExternalBackup(inst, 0);
  // A hold does not stop a running session: only Begin is refused.
  coordinator.hold('late', 'x');
  expect(coordinator.snapshot(inst).context.session).toMatchObject({ open: true, stopReason: null });
  await session.endExternalBackup(inst, JET_bit.BackupEndAbort);
  expect(() => coordinator.hold('', 'x')).toThrow(TypeError);
});
