// Reference §1: "A call already inside the engine completes normally; the next streaming call fails."
// Stops that land while a call is in flight, through the coordinator over the real engine.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { JET_bit, type JetInstance } from '../../src/jet/index.js';
import { READ_SIZE, engineFixture, recordingApi, type EngineFixture } from './recording-api.js';

let fx: EngineFixture;
let inst: JetInstance;
beforeEach(async () => {
  fx = await engineFixture();
  inst = await fx.instance('flight');
});
afterEach(() => fx.close());

it('GetLogInfo in flight (rolling the log) completes; the next call answers -801; End records abortedByServer', async () => {
  const c = createCoordinator({ api: fx.engine });
  const b = c.session(inst);
  await b.beginExternalBackup(inst, 0);
  const inFlight = b.getLogInfo(inst);
  c.stop(inst);
  await expect(inFlight).resolves.toHaveLength(1);
  expect(c.snapshot(inst).value).toMatchObject({ backup: { session: { phase: { logs: 'full' }, stop: 'stopped' } } });
  await expect(b.getLogInfo(inst)).rejects.toMatchObject({ err: -801 });
  await b.endExternalBackup(inst, JET_bit.BackupEndNormal);
  expect(fx.engine.lastBackup(inst)?.end).toBe('abortedByServer');
  expect(c.snapshot(inst).context.outcome).toEqual({ kind: 'stoppedByServer' });
});

it('a read in flight completes with its bytes; the next read is refused -801 before the engine', async () => {
  const api = recordingApi(fx.engine);
  const c = createCoordinator({ api });
  const b = c.session(inst);
  await b.beginExternalBackup(inst, 0);
  const [db] = await b.getAttachInfo(inst);
  const { handle } = await b.openFile(inst, db!);
  const buffer = new Uint8Array(READ_SIZE);
  const inFlight = b.readFile(inst, handle, buffer);
  c.stop(inst);
  expect(await inFlight).toBeGreaterThan(0);
  const reads = api.count('readFile');
  await expect(b.readFile(inst, handle, buffer)).rejects.toMatchObject({ err: -801 });
  expect(api.count('readFile')).toBe(reads);
});
