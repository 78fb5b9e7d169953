// Several coordinators, each on its own connection, and a controller: stops for one instance, one node, all.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { firstValueFrom, take, toArray } from 'rxjs';
import { FleetConflictError, fleetStatus, fleetStop, fromFleet, joinFleet, type FleetConnection } from '../../src/fleet/index.js';
import { describeWithNats } from './describe-with-nats.js';
import { controller } from './controller.js';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { isRunning, nodeFixture, startBackup, until } from './fleet-fixture.js';

describeWithNats('fleet stop against a real nats-server', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server?.stop());

  it('stops exactly the targeted sessions, each through End2(Abort), and each acknowledges', async () => {
    const bucket = 'stop-scopes';
    // Paced at a quarter of the default (a read a second, ~25 s a backup): on a loaded machine the four
    // must all still be running when the status is read, and every one is stopped long before its end.
    const slow = 24 * 1024;
    const a = await nodeFixture('a', ['i1', 'i2'], { servers: server.url, bucket }, 400, slow);
    const b = await nodeFixture('b', ['i1'], { servers: server.url, bucket }, 400, slow);
    const c = await nodeFixture('c', ['i1'], { servers: server.url, bucket }, 400, slow);
    const runs = { a1: startBackup(a, 'i1'), a2: startBackup(a, 'i2'), b1: startBackup(b, 'i1'), c1: startBackup(c, 'i1') };
    await until('all four sessions running and published', async () => {
      const s = await fleetStatus({ connection: await controller(server.url, bucket) });
      return s.instances.filter((r) => r.status.phase === 'running').length === 4;
    });

    const one = await fleetStop({
      servers: server.url,
      bucket,
      node: 'a',
      instance: 'i1',
      reason: 'one instance',
      by: 'test',
      waitMs: 5000,
    });
    expect(one.targeted.map((t) => `${t.node}.${t.instance}`)).toEqual(['a.i1']);
    expect(one.ok).toBe(true);
    expect(one.acked).toEqual([expect.objectContaining({ node: 'a', instance: 'i1', how: 'applied' })]);
    const a1 = await runs.a1.result;
    expect(a1.outcome).toBe('stopped');
    expect(a1.stopReason).toMatchObject({ source: 'fleet', detail: expect.stringMatching(/^stop\.a\.i1 #\d+ by test: one instance$/) });
    expect(a.engine.lastBackup(a.instances.get('i1')!)?.end).toBe('abortedByServer');
    expect([isRunning(a, 'i2'), isRunning(b, 'i1'), isRunning(c, 'i1')]).toEqual([true, true, true]);

    const node = await fleetStop({ servers: server.url, bucket, node: 'b', reason: 'one node', by: 'test', waitMs: 5000 });
    expect(node.targeted.map((t) => `${t.node}.${t.instance}`)).toEqual(['b.i1']);
    expect(node.ok).toBe(true);
    expect((await runs.b1.result).stopReason?.detail).toMatch(/^stop\.b #/);
    expect([isRunning(a, 'i2'), isRunning(c, 'i1')]).toEqual([true, true]);

    const acks: string[] = [];
    const all = await fleetStop({
      servers: server.url,
      bucket,
      reason: 'all',
      by: 'test',
      waitMs: 5000,
      untilEnded: true,
      onAck: (k) => acks.push(`${k.node}.${k.instance}`),
    });
    expect(all.targeted.map((t) => `${t.node}.${t.instance}`).sort()).toEqual(['a.i2', 'c.i1']);
    expect(all.ok).toBe(true);
    expect(all.acked.every((k) => k.endedMs !== null && k.endedMs >= k.ackMs)).toBe(true);
    expect(new Set(acks)).toEqual(new Set(['a.i2', 'c.i1']));
    for (const r of [runs.a2, runs.c1]) expect((await r.result).stopReason?.detail).toMatch(/^stop\.all #/);
    for (const [fx, name] of [
      [a, 'i2'],
      [b, 'i1'],
      [c, 'i1'],
    ] as const)
      expect(fx.engine.lastBackup(fx.instances.get(name)!)?.end).toBe('abortedByServer');
    // The status shows each session ended, stopped by the fleet, none unreachable.
    await a.member.flush();
    const status = await fleetStatus({ connection: await controller(server.url, bucket) });
    expect(status.instances.map((r) => [r.key, r.status.phase, r.unreachable])).toEqual([
      ['state.a.i1', 'ended', false],
      ['state.a.i2', 'ended', false],
      ['state.b.i1', 'ended', false],
      ['state.c.i1', 'ended', false],
    ]);
    expect(status.stops.map((s) => s.key).sort()).toEqual(['stop.a.i1', 'stop.all', 'stop.b']);
  });

  it('a stop for an unknown node or instance stops nothing; a malformed desired value is ignored with a warning', async () => {
    const bucket = 'bad-input';
    const a = await nodeFixture('a', ['i1'], { servers: server.url, bucket });
    const run = startBackup(a, 'i1');
    await until('running', () => isRunning(a, 'i1'));
    const ghost = await fleetStop({ servers: server.url, bucket, node: 'ghost', reason: 'typo', waitMs: 300 });
    expect(ghost).toMatchObject({ targeted: [], acked: [], missing: [], ok: true });
    const other = await fleetStop({ servers: server.url, bucket, node: 'a', instance: 'nope', waitMs: 300 });
    expect(other.targeted).toEqual([]);
    const fleet = a.member.connection;
    await fleet.desired.put('stop.a', 'not json {');
    await fleet.desired.put('stop.all', JSON.stringify({ v: 1, epoch: -3, reason: 'x', by: 'y', at: 'z' }));
    await fleet.desired.put('stop.all.x.y', JSON.stringify({ v: 1, epoch: 9, reason: 'x', by: 'y', at: 'z' }));
    await fleet.desired.put('hold.a', JSON.stringify({ v: 2, reason: 'future', by: 'y', at: 'z' }));
    await until('four warnings', () => a.warnings.length >= 4);
    expect(a.warnings.join('\n')).toMatch(/stop\.a \(revision \d+\): not JSON/);
    expect(a.warnings.join('\n')).toMatch(/stop\.all \(revision \d+\): epoch must be a positive integer, got -3/);
    expect(a.warnings.join('\n')).toMatch(/stop\.all\.x\.y .*not a key of the fleet/);
    expect(a.warnings.join('\n')).toMatch(/hold\.a .*schema version 2/);
    await new Promise((r) => setTimeout(r, 300));
    expect(isRunning(a, 'i1')).toBe(true);
    expect(a.coordinator.holds().size).toBe(0);
    // A second live process publishing the same node and instance is refused at join.
    const twin = createCoordinator({ api: a.engine });
    twin.session(a.instances.get('i1')!);
    const conflict = await joinFleet(twin, { servers: server.url, bucket, node: 'a', instanceName: () => 'i1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(conflict).toBeInstanceOf(FleetConflictError);
    expect((conflict as Error).message).toMatch(
      /node a instance i1 is already published by a live process \(pid \d+ on .*\); give each process its own node name/,
    );
    twin.dispose();
    const stop = await fleetStop({ servers: server.url, bucket, node: 'a', reason: 'now valid', waitMs: 5000 });
    expect(stop.ok).toBe(true);
    expect((await run.result).outcome).toBe('stopped');
  });

  it("fromFleet: a plain source of the node's stops, new epochs only", async () => {
    const bucket = 'from-fleet';
    const fleet: FleetConnection = await controller(server.url, bucket);
    await fleetStop({ connection: fleet, node: 'a', reason: 'old', waitMs: 0 });
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const stops = fromFleet({ connection: fleet, node: 'a', instance: 'i1', onWarning: () => {}, onReady: () => ready() });
    const seen = firstValueFrom(stops.pipe(take(2), toArray()));
    // After the first read the old epoch is not news; what is written from now on is.
    await isReady;
    await fleetStop({ connection: fleet, node: 'b', reason: 'other node', waitMs: 0 });
    await fleetStop({ connection: fleet, node: 'a', instance: 'i2', reason: 'other instance', waitMs: 0 });
    await fleetStop({ connection: fleet, node: 'a', reason: 'node a', by: 'ops', waitMs: 0 });
    await fleetStop({ connection: fleet, reason: 'everyone', by: 'ops', waitMs: 0 });
    const reasons = await seen;
    expect(reasons.map((r) => r.source)).toEqual(['fleet', 'fleet']);
    expect(reasons.map((r) => r.detail!.replace(/#\d+/, '#N'))).toEqual(['stop.a #N by ops: node a', 'stop.all #N by ops: everyone']);
  });
});
