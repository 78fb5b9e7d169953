// Coordinators of one process on one connection share one watch of the desired state (one consumer on
// the server), each still stopping on its own; the watch lives until the last of them leaves.
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { connectFleet, fleetStop, type FleetConnection } from '../../src/fleet/index.js';
import { describeWithNats } from './describe-with-nats.js';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { isRunning, nodeFixture, startBackup, until } from './fleet-fixture.js';

/**
 * The watches on the desired-state stream, as the server lists its consumers: bound to a subscriber and
 * delivering new messages only (a full read's listing delivers the last per key and ends).
 */
async function watchers(fleet: FleetConnection, bucket: string): Promise<number> {
  const reply = await fleet.nc.request(`$JS.API.CONSUMER.LIST.KV_${bucket}`, '{}');
  const { consumers } = reply.json<{ consumers: Array<{ config: { deliver_policy: string }; push_bound?: boolean }> | null }>();
  return (consumers ?? []).filter((c) => c.push_bound === true && c.config.deliver_policy === 'new').length;
}

describeWithNats('coordinators sharing a connection', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server?.stop());

  it('share one watch: each obeys its own stops and gets the warnings; the watch ends with the last member', async () => {
    const bucket = 'shared';
    const shared = await connectFleet({ servers: server.url, bucket });
    onTestFinished(() => shared.close());
    const slow = 24 * 1024;
    const a = await nodeFixture('a', ['i1'], { connection: shared }, 400, slow);
    const b = await nodeFixture('b', ['i1'], { connection: shared }, 400, slow);
    const c = await nodeFixture('c', ['i1'], { connection: shared }, 400, slow);
    expect(await watchers(shared, bucket)).toBe(1);
    const runs = { a: startBackup(a, 'i1'), b: startBackup(b, 'i1'), c: startBackup(c, 'i1') };
    await until('three sessions running', () => [a, b, c].every((fx) => isRunning(fx, 'i1')));

    // A malformed value reaches every member's onWarning.
    await shared.desired.put('stop.b', 'not json');
    await until('the warning at a, b and c', () => [a, b, c].every((fx) => fx.warnings.some((w) => /stop\.b .*not JSON/.test(w))));

    const one = await fleetStop({ connection: shared, node: 'b', reason: 'one node', waitMs: 5000 });
    expect(one.targeted.map((t) => t.node)).toEqual(['b']);
    expect(one.ok).toBe(true);
    expect((await runs.b.result).stopReason?.detail).toMatch(/^stop\.b #\d+ by .*: one node$/);
    expect([isRunning(a, 'i1'), isRunning(c, 'i1')]).toEqual([true, true]);

    // a leaves (its last state says closed): the watch goes on for c.
    await a.member.close();
    expect(await watchers(shared, bucket)).toBe(1);
    const all = await fleetStop({ connection: shared, reason: 'all', waitMs: 5000 });
    expect(all.targeted.map((t) => t.node)).toEqual(['c']);
    expect(all.ok).toBe(true);
    expect((await runs.c.result).stopReason?.detail).toMatch(/^stop\.all #/);
    expect(isRunning(a, 'i1')).toBe(true);
    a.coordinator.stopAll('test over');
    expect((await runs.a.result).stopReason?.source).not.toBe('fleet');

    await b.member.close();
    await c.member.close();
    await until('the watch stopped', async () => (await watchers(shared, bucket)) === 0);
  });
});
