// A server in operator mode (JWTs) takes a coordinator and the CLI with a real `.creds` file and refuses
// them without it or with a user of an account it does not trust; a server with an NKey user takes the seed file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { FleetConnectError, fleetStatus, joinFleet } from '../../src/fleet/index.js';
import { engineFixture } from '../backup/helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { describeWithNats } from './describe-with-nats.js';
import { operatorSetup } from './nats-creds.js';
import { startNatsServer, type NatsServer } from './nats-server.js';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describeWithNats('fleet credentials files and NKeys against a real nats-server', () => {
  const setup = operatorSetup();
  const nkeyUser = createUser();
  let operatorServer: NatsServer;
  let nkeyServer: NatsServer;
  let files: { creds: string; stranger: string; seed: string; wrongSeed: string };
  let dir = '';
  beforeAll(async () => {
    [operatorServer, nkeyServer] = await Promise.all([
      startNatsServer({ config: setup.config }),
      startNatsServer({ config: `authorization { users = [ { nkey: ${nkeyUser.getPublicKey()} } ] }\n` }),
    ]);
    dir = mkdtempSync(path.join(os.tmpdir(), 'ese-fleet-creds-'));
    files = {
      creds: path.join(dir, 'backup.creds'),
      stranger: path.join(dir, 'stranger.creds'),
      seed: path.join(dir, 'backup.nk'),
      wrongSeed: path.join(dir, 'other.nk'),
    };
    writeFileSync(files.creds, setup.creds, { mode: 0o600 });
    writeFileSync(files.stranger, setup.stranger, { mode: 0o600 });
    writeFileSync(files.seed, `${new TextDecoder().decode(nkeyUser.getSeed())}\n`, { mode: 0o600 });
    writeFileSync(files.wrongSeed, new TextDecoder().decode(createUser().getSeed()), { mode: 0o600 });
  });
  afterAll(async () => {
    await operatorServer?.stop();
    await nkeyServer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a .creds file: refused without it or with an untrusted account; a member joins and publishes with it', async () => {
    for (const credsFile of [undefined, files.stranger]) {
      const e = await failure(fleetStatus({ servers: operatorServer.url, ...(credsFile ? { credsFile } : {}) }));
      expect(e).toBeInstanceOf(FleetConnectError);
      expect((e as FleetConnectError).reason).toBe('authorization');
      expect((e as Error).message).toMatch(/^fleet: the server at nats:\/\/127\.0\.0\.1:\d+ refused the connection: .*\(give credentials/);
    }
    const fx = await engineFixture();
    const coordinator = createCoordinator({ api: fx.engine });
    coordinator.session(fx.inst);
    const member = await joinFleet(coordinator, { servers: operatorServer.url, node: 'n', credsFile: files.creds, heartbeatMs: 200 });
    await member.flush();
    expect((await fleetStatus({ servers: operatorServer.url, credsFile: files.creds })).instances.map((r) => r.key)).toEqual([
      `state.n.${fx.inst}`,
    ]);
    await member.close();
    coordinator.dispose();
  });

  it('the CLI: --nats-creds FILE connects; without it, or a missing file, a clear error', { timeout: 90_000 }, async () => {
    const [without, withCreds, missing] = await Promise.all([
      runCli(['fleet', 'status', '--nats', operatorServer.url]),
      runCli(['fleet', 'status', '--nats', operatorServer.url, '--nats-creds', files.creds, '--json']),
      runCli(['fleet', 'status', '--nats', operatorServer.url, '--nats-creds', `${files.creds}.nope`]),
    ]);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(
      /ese-backup: error: fleet: the server at nats:\/\/127\.0\.0\.1:\d+ refused the connection: .*\(give credentials/,
    );
    expect(withCreds.code).toBe(0);
    expect(withCreds.json()).toMatchObject({ command: 'fleet status', holds: [], stops: [] });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('.nope: no such file');
  });

  it('an NKey seed file: refused without it or with another key, accepted with it', async () => {
    for (const nkeySeedFile of [undefined, files.wrongSeed]) {
      const e = await failure(fleetStatus({ servers: nkeyServer.url, ...(nkeySeedFile ? { nkeySeedFile } : {}) }));
      expect((e as FleetConnectError).reason).toBe('authorization');
    }
    expect((await fleetStatus({ servers: nkeyServer.url, nkeySeedFile: files.seed })).instances).toEqual([]);
  });
});
