// hold / release: Begin refused with -523 fleet-wide or per node, a hold surviving a coordinator restart.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { fleetHold, fleetRelease, fleetStatus, joinFleet } from '../../src/fleet/index.js';
import { JET_bit, JET_err, JetError } from '../../src/jet/index.js';
import { describeWithNats } from './describe-with-nats.js';
import { controller } from './controller.js';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { isRunning, nodeFixture, startBackup, until } from './fleet-fixture.js';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describeWithNats('fleet hold and release against a real nats-server', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server?.stop());

  it('a hold refuses Begin with -523 on every node it names, survives a coordinator restart, and release lifts it; running backups go on', async () => {
    const bucket = 'holds';
    const a = await nodeFixture('a', ['i1', 'i2'], { servers: server.url, bucket });
    const b = await nodeFixture('b', ['i1'], { servers: server.url, bucket });
    const running = startBackup(b, 'i1');
    await until('b/i1 running', () => isRunning(b, 'i1'));

    await fleetHold({ servers: server.url, bucket, node: 'a', reason: 'disk swap', by: 'ops' });
    await until('node a held', () => a.coordinator.holds().size === 1);
    const inst = a.instances.get('i1')!;
    const e = await refusal(a.coordinator.session(inst).beginExternalBackup(inst, 0));
    expect(e).toBeInstanceOf(JetError);
    expect((e as JetError).err).toBe(JET_err.BackupNotAllowedYet);
    expect((e as JetError).message).toMatch(/held \(fleet:hold\.a: fleet hold\.a by ops: disk swap\) until released/);
    expect(a.engine.lastBackup(inst)).toBeUndefined(); // refused before the engine
    // The other node is not held.
    expect(b.coordinator.holds().size).toBe(0);
    await until('the state shows the hold', async () =>
      (await fleetStatus({ connection: await controller(server.url, bucket) })).instances.some(
        (r) => r.key === 'state.a.i1' && r.status.held?.key === 'hold.a',
      ),
    );

    // Fleet-wide hold; then node a's coordinator restarts: the hold is in force before its first Begin.
    await fleetHold({ servers: server.url, bucket, reason: 'freeze', by: 'ops' });
    await until('node b held', () => b.coordinator.holds().size === 1);
    expect(isRunning(b, 'i1')).toBe(true); // a hold stops nothing that runs
    await a.member.close();
    a.coordinator.dispose();
    const again = createCoordinator({ api: a.engine });
    const session = again.session(inst);
    const member = await joinFleet(again, { servers: server.url, bucket, node: 'a', instanceName: () => 'i1', heartbeatMs: 200 });
    try {
      expect([...again.holds().keys()].sort()).toEqual(['fleet:hold.a', 'fleet:hold.all']);
      expect(((await refusal(session.beginExternalBackup(inst, 0))) as JetError).err).toBe(JET_err.BackupNotAllowedYet);

      // Releasing node a leaves the fleet-wide hold; releasing that lifts both.
      expect((await fleetRelease({ servers: server.url, bucket, node: 'a' })).wasHeld).toBe(true);
      await until('hold.a released', () => !again.holds().has('fleet:hold.a'));
      expect(((await refusal(session.beginExternalBackup(inst, 0))) as JetError).err).toBe(JET_err.BackupNotAllowedYet);
      expect((await fleetRelease({ servers: server.url, bucket })).wasHeld).toBe(true);
      await until('every hold released', () => again.holds().size === 0 && b.coordinator.holds().size === 0);
      await session.beginExternalBackup(inst, 0);
      await session.endExternalBackup(inst, JET_bit.BackupEndAbort);
      expect(a.engine.lastBackup(inst)?.end).toBe('abortedByCaller');
    } finally {
      await member.close();
      again.dispose();
    }
    expect((await running.result).outcome).toBe('completed');
  });
});
