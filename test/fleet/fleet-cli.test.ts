// The CLI: backups in child processes joined with --fleet, and `ese-backup fleet status|stop|hold|release`.
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fleetStatus } from '../../src/fleet/index.js';
import { makeInstance, putRows, runCli, startCli, tempDir, backupArgs } from '../cli/cli-helpers.js';
import { until } from './fleet-fixture.js';
import { describeWithNats } from './describe-with-nats.js';
import { controller } from './controller.js';
import { startNatsServer, type NatsServer } from './nats-server.js';

// Short beats so an unreachable child shows within about a second.
const env = { ESE_BACKUP_FLEET_HEARTBEAT_MS: '200' };

describeWithNats('ese-backup fleet against a real nats-server', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server?.stop());

  /** A backup of a fresh instance in a child process, joined to the fleet as `node`, paced to ~50 KiB/s (half a minute). */
  const backup = async (node: string, bucket: string) => {
    const dir = await tempDir('ese-fleet-cli-');
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 1000));
    const args = backupArgs(
      dir,
      'main',
      path.join(dir, 'sets', 'full'),
      '--rate',
      '0.05',
      '--read-size',
      '24576',
      '--no-progress',
      '--fleet',
      server.url,
      '--node',
      node,
      '--bucket',
      bucket,
    );
    return startCli(args, { env });
  };

  it(
    'stop one node, then all: acknowledgements printed; a paused (unreachable) child is named as not acknowledged and stops when it resumes',
    { timeout: 150_000 },
    async () => {
      const bucket = 'cli';
      const a = await backup('a', bucket);
      const b = await backup('b', bucket);
      await Promise.all([
        a.stderrLine(/fleet: joined .* as node a, instance main/),
        b.stderrLine(/fleet: joined .* as node b, instance main/),
      ]);
      await until(
        'both running',
        async () =>
          (await fleetStatus({ connection: await controller(server.url, bucket) })).instances.filter((r) => r.status.phase === 'running')
            .length === 2,
        30_000,
      );

      b.proc.kill('SIGSTOP');
      await until('b unreachable', async () =>
        (await fleetStatus({ connection: await controller(server.url, bucket) })).instances.some(
          (r) => r.status.node === 'b' && r.unreachable,
        ),
      );
      const status = await runCli(['fleet', 'status', '--nats', server.url, '--bucket', bucket]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^NODE\s+INSTANCE\s+PHASE\s+PROGRESS\s+LAST OUTCOME\s+STOP REASON\s+SEEN$/m);
      expect(status.stdout).toMatch(/^a\s+main\s+running\s+.*s ago$/m);
      expect(status.stdout).toMatch(/^b\s+main\s+running\s+.*UNREACHABLE \(last seen [\d.]+ s ago\)$/m);

      const one = await runCli([
        'fleet',
        'stop',
        '--nats',
        server.url,
        '--bucket',
        bucket,
        '--node',
        'a',
        '--reason',
        'window over',
        '--by',
        'ops',
        '--wait',
        '10s',
      ]);
      expect(one.stdout, one.stderr).toMatch(/^ack a\/main: stop applied in [\d.]+ ms$/m);
      expect(one.stdout).toMatch(/^1 of 1 acknowledged$/m);
      expect(one.code).toBe(0);
      const aDone = await a.done;
      expect(aDone.code).toBe(130);
      expect(aDone.stdout).toMatch(/stopped: fleet stop\.a #\d+ by ops: window over; session: End2\(Abort\)/);

      const all = await runCli(['fleet', 'stop', '--nats', server.url, '--bucket', bucket, '--wait', '1s', '--json']);
      expect(all.code).toBe(1);
      expect(all.json()).toMatchObject({
        key: 'stop.all',
        ok: false,
        acked: [],
        missing: [{ node: 'b', instance: 'main', unreachable: true }],
        exitCode: 1,
      });
      const human = await runCli(['fleet', 'stop', '--nats', server.url, '--bucket', bucket, '--wait', '500ms']);
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(
        /NOT acknowledged within 0\.5 s: b\/main \(unreachable: it stops when it reconnects, if its session still runs\)/,
      );

      b.proc.kill('SIGCONT');
      const bDone = await b.done;
      expect(bDone.code).toBe(130);
      expect(bDone.stdout).toMatch(/stopped: fleet stop\.all #\d+ by /);
    },
  );

  it('hold refuses a new backup with -523 until release', { timeout: 150_000 }, async () => {
    const bucket = 'cli-hold';
    const held = await runCli(['fleet', 'hold', '--nats', server.url, '--bucket', bucket, '--reason', 'storage check']);
    expect(held.code).toBe(0);
    expect(held.stdout).toMatch(/held hold\.all: every coordinator of the fleet refuses Begin with -523/);
    const refused = await (await backup('h', bucket)).done;
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /JET_errBackupNotAllowedYet \(-523\).*held \(fleet:hold\.all: fleet hold\.all by .*: storage check\) until released/,
    );
    const released = await runCli(['fleet', 'release', '--nats', server.url, '--bucket', bucket]);
    expect(released.stdout).toMatch(/released hold\.all/);
    const status = await runCli(['fleet', 'status', '--nats', server.url, '--bucket', bucket, '--json']);
    expect(status.json()).toMatchObject({ holds: [], instances: [{ key: 'state.h.main', closed: true, status: { phase: 'idle' } }] });
  });
});
