// The server restarted mid-backup; a coordinator cut off (a TCP proxy drops its connection) when the stop is issued.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fleetStatus, fleetStop } from '../../src/fleet/index.js';
import { describeWithNats } from './describe-with-nats.js';
import { controller } from './controller.js';
import { startNatsServer, startTcpProxy, type NatsServer } from './nats-server.js';
import { isRunning, nodeFixture, startBackup, until } from './fleet-fixture.js';

describeWithNats('fleet resilience against a real nats-server', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server?.stop());

  it('the server restarts mid-backup: the backup goes on, its state is republished, a stop after the restart works', async () => {
    const bucket = 'restart';
    const r = await nodeFixture('r', ['i1'], { servers: server.url, bucket }, 1200);
    const run = startBackup(r, 'i1');
    await until('running', () => isRunning(r, 'i1'));
    await server.restart();
    const restarted = Date.now();
    expect(isRunning(r, 'i1')).toBe(true);
    await until('state republished after the restart', async () => {
      const s = await fleetStatus({ connection: await controller(server.url, bucket) });
      return s.instances.some(
        (row) => row.key === 'state.r.i1' && row.status.phase === 'running' && row.putAt > restarted && !row.unreachable,
      );
    });
    const stop = await fleetStop({ servers: server.url, bucket, node: 'r', reason: 'after restart', waitMs: 5000 });
    expect(stop.targeted).toEqual([{ node: 'r', instance: 'i1', unreachable: false }]);
    expect(stop.ok).toBe(true);
    const result = await run.result;
    expect(result.outcome).toBe('stopped');
    expect(result.stopReason?.detail).toMatch(/^stop\.r #\d+ by .*: after restart$/);
  });

  it('a cut-off coordinator shows unreachable, is reported not acknowledged, and stops when it reconnects if its session still runs', async () => {
    const bucket = 'partition';
    const proxy = await startTcpProxy(server.port);
    try {
      const p = await nodeFixture('p', ['i1'], { servers: proxy.url, bucket }, 1200);
      await nodeFixture('q', ['i1'], { servers: server.url, bucket });
      const run = startBackup(p, 'i1');
      await until(
        'running and published',
        async () =>
          isRunning(p, 'i1') &&
          (await fleetStatus({ connection: await controller(server.url, bucket) })).instances.some(
            (row) => row.key === 'state.p.i1' && row.status.phase === 'running',
          ),
      );
      proxy.cut();
      await until('p unreachable in the status', async () =>
        (await fleetStatus({ connection: await controller(server.url, bucket) })).instances.some(
          (row) => row.key === 'state.p.i1' && row.unreachable,
        ),
      );
      const status = await fleetStatus({ connection: await controller(server.url, bucket) });
      expect(status.instances.find((row) => row.key === 'state.q.i1')?.unreachable).toBe(false);

      const stop = await fleetStop({ servers: server.url, bucket, node: 'p', reason: 'while away', waitMs: 1000 });
      expect(stop.ok).toBe(false);
      expect(stop.missing).toEqual([{ node: 'p', instance: 'i1', unreachable: true }]);
      expect(isRunning(p, 'i1')).toBe(true); // it kept working locally

      proxy.restore();
      const result = await run.result;
      expect(result.outcome).toBe('stopped');
      expect(result.stopReason).toMatchObject({ source: 'fleet', detail: expect.stringMatching(/^stop\.p #\d+ .*: while away$/) });
      await until('p reachable again, ended', async () =>
        (await fleetStatus({ connection: await controller(server.url, bucket) })).instances.some(
          (row) => row.key === 'state.p.i1' && !row.unreachable && row.status.phase === 'ended',
        ),
      );
    } finally {
      await proxy.close();
    }
  });
});
