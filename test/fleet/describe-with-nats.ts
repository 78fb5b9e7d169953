import { describe, it } from 'vitest';
import { natsInstallCommand, natsServerPath } from './nats-server.js';
import { requireAllPrerequisites } from '../support/prerequisite.js';

/**
 * `describe` for tests that need a real nats-server: without the binary, under CI=true one test
 * fails naming the install command; elsewhere the suite is skipped with the command printed.
 */
export function describeWithNats(name: string, body: () => void): void {
  if (natsServerPath) {
    describe(name, body);
    return;
  }
  const why = `nats-server not found (NATS_SERVER, /usr/sbin, PATH): install it with \`${natsInstallCommand}\``;
  if (requireAllPrerequisites) {
    describe(name, () =>
      it('needs nats-server', () => {
        throw new Error(why);
      }),
    );
    return;
  }
  console.warn(`fleet tests skipped: ${why}`);
  describe.skip(`${name} (skipped: ${why})`, body);
}
