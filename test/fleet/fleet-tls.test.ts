// A server that requires TLS, with a self-signed certificate made by the test (openssl): a coordinator
// that trusts the certificate (tls.caFile; the CLI through NODE_EXTRA_CA_CERTS) joins, one that does not is refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { FleetConnectError, fleetStatus, joinFleet } from '../../src/fleet/index.js';
import { engineFixture } from '../backup/helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { prerequisite } from '../support/prerequisite.js';
import { describeWithNats } from './describe-with-nats.js';
import { startNatsServer, type NatsServer } from './nats-server.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const noOpenssl = prerequisite(
  hasOpenssl ? undefined : 'no openssl (the TLS test makes its certificate with it): apt-get install -y openssl',
);

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describeWithNats('fleet over TLS against a real nats-server', () => {
  describe.skipIf(noOpenssl)('a self-signed certificate', () => {
    let server: NatsServer;
    let dir = '';
    let cert = '';
    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'ese-fleet-tls-'));
      cert = path.join(dir, 'cert.pem');
      const key = path.join(dir, 'key.pem');
      // prettier-ignore
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
      ], { stdio: 'ignore' });
      server = await startNatsServer({ config: `tls { cert_file: "${cert}", key_file: "${key}" }\n` });
    });
    afterAll(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a coordinator that trusts the certificate joins and publishes; one that does not is refused', async () => {
      const e = await failure(fleetStatus({ servers: server.url }));
      expect(e).toBeInstanceOf(FleetConnectError);
      expect((e as Error).message).toMatch(/^fleet: cannot connect to nats:\/\/127\.0\.0\.1:\d+: .*(self[- ]signed|certificate)/i);

      const fx = await engineFixture();
      const coordinator = createCoordinator({ api: fx.engine });
      coordinator.session(fx.inst);
      const member = await joinFleet(coordinator, { servers: server.url, node: 'n', tls: { caFile: cert }, heartbeatMs: 200 });
      await member.flush();
      expect(member.connection.nc.info?.tls_required).toBe(true);
      expect((await fleetStatus({ servers: server.url, tls: { caFile: cert } })).instances.map((r) => r.key)).toEqual([
        `state.n.${fx.inst}`,
      ]);
      await member.close();
      coordinator.dispose();
    });

    it('the CLI over tls:// trusts the certificate through NODE_EXTRA_CA_CERTS', { timeout: 90_000 }, async () => {
      const url = server.url.replace('nats://', 'tls://');
      const [untrusted, trusted] = await Promise.all([
        runCli(['fleet', 'status', '--nats', url]),
        runCli(['fleet', 'status', '--nats', url, '--json'], { env: { NODE_EXTRA_CA_CERTS: cert } }),
      ]);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(
        /ese-backup: error: fleet: cannot connect to tls:\/\/127\.0\.0\.1:\d+: .*(self[- ]signed|certificate)/i,
      );
      expect(trusted.code).toBe(0);
      expect(trusted.json()).toMatchObject({ command: 'fleet status', holds: [], stops: [] });
    });
  });
});
