// A server with a token, or a user and password, refuses a coordinator without credentials, clearly.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { FleetConnectError, fleetStatus, joinFleet } from '../../src/fleet/index.js';
import { engineFixture } from '../backup/helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { describeWithNats } from './describe-with-nats.js';
import { startNatsServer, type NatsServer } from './nats-server.js';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describeWithNats('fleet authentication against a real nats-server', () => {
  let tokenServer: NatsServer;
  let userServer: NatsServer;
  beforeAll(async () => {
    [tokenServer, userServer] = await Promise.all([
      startNatsServer({ token: 't0ken-s3cret' }),
      startNatsServer({ user: 'backup', pass: 'pa55' }),
    ]);
  });
  afterAll(async () => {
    await tokenServer?.stop();
    await userServer?.stop();
  });

  it('token: refused without it or with a wrong one, with a clear error; accepted with it', async () => {
    const fx = await engineFixture();
    const coordinator = createCoordinator({ api: fx.engine });
    coordinator.session(fx.inst);
    for (const token of [undefined, 'wrong']) {
      const e = await failure(joinFleet(coordinator, { servers: tokenServer.url, node: 'n', ...(token ? { token } : {}) }));
      expect(e).toBeInstanceOf(FleetConnectError);
      expect((e as FleetConnectError).reason).toBe('authorization');
      expect((e as Error).message).toMatch(
        /^fleet: the server at nats:\/\/127\.0\.0\.1:\d+ refused the connection: .*(Authorization|authorization).*\(give credentials/,
      );
      expect((e as Error).message).not.toContain('t0ken-s3cret');
    }
    const member = await joinFleet(coordinator, { servers: tokenServer.url, node: 'n', token: 't0ken-s3cret', heartbeatMs: 200 });
    await member.flush();
    expect((await fleetStatus({ servers: tokenServer.url, token: 't0ken-s3cret' })).instances.map((r) => r.key)).toEqual([
      `state.n.${fx.inst}`,
    ]);
    await member.close();
    coordinator.dispose();
  });

  it('the CLI takes the token from NATS_TOKEN (never from the command line)', { timeout: 90_000 }, async () => {
    const [without, withToken] = await Promise.all([
      runCli(['fleet', 'status', '--nats', tokenServer.url]),
      runCli(['fleet', 'status', '--nats', tokenServer.url, '--json'], { env: { NATS_TOKEN: 't0ken-s3cret' } }),
    ]);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(
      /ese-backup: error: fleet: the server at nats:\/\/127\.0\.0\.1:\d+ refused the connection: .*\(give credentials/,
    );
    expect(withToken.code).toBe(0);
    expect(withToken.json()).toMatchObject({ command: 'fleet status', holds: [], stops: [] });
  });

  it('user and password: refused without them, accepted with them', async () => {
    const e = await failure(fleetStatus({ servers: userServer.url }));
    expect(e).toBeInstanceOf(FleetConnectError);
    expect((e as FleetConnectError).reason).toBe('authorization');
    const wrong = await failure(fleetStatus({ servers: userServer.url, user: 'backup', pass: 'nope' }));
    expect((wrong as FleetConnectError).reason).toBe('authorization');
    expect((await fleetStatus({ servers: userServer.url, user: 'backup', pass: 'pa55' })).instances).toEqual([]);
  });

  it('no server at the address, or a server without JetStream: each says what to start', async () => {
    const e = await failure(fleetStatus({ servers: 'nats://127.0.0.1:1' }));
    expect((e as FleetConnectError).reason).toBe('unreachable');
    expect((e as Error).message).toMatch(/no NATS server at nats:\/\/127\.0\.0\.1:1: .*start one with `nats-server -js`/);
  });
});
