import { describe } from 'vitest';
import type { EmbeddedEngine } from '../../src/engine/embedded-engine-api.js';
import { createEmbeddedEngine } from '../../src/engine/index.js';
import type { JetBackupApi } from '../../src/jet/index.js';
import { esentFacadeBackends } from './backend-esent-facade.js';
import { esentNativeBackends } from './backend-esent-native.js';

/** One opened backend: `engine` takes the setup calls, `api` every backup call under test. */
export interface BackendSession {
  api: JetBackupApi;
  engine: EmbeddedEngine;
  close(): Promise<void>;
}

/** A backend the conformance suite runs against. */
export interface Backend {
  name: string;
  /**
   * Whether a call is "inside the engine" as soon as it is made (reference §1: an in-flight read
   * completes after a stop). True for the embedded engine; a native backend crossing threads may
   * enter the engine after the stop flag is set, so it is held to the next call only.
   */
  callEntersSynchronously: boolean;
  /** Why this backend cannot run here (its tests are listed as skipped with this reason), or undefined. */
  skip?: string;
  open(directory: string): Promise<BackendSession>;
}

/** The embedded engine answers its own backup calls: `api === engine`. */
const embedded: Backend = {
  name: 'embedded',
  callEntersSynchronously: true,
  async open(directory) {
    const engine = await createEmbeddedEngine({ directory });
    return { api: engine, engine, close: () => engine.close() };
  },
};

/** Every backend the suite runs against; one that cannot run here stays listed with its `skip` reason. */
export const backends: readonly Backend[] =
  process.env.ESE_SYSTEM_ESENT === '1' && process.platform === 'win32'
    ? [embedded, ...esentFacadeBackends] // npm run test:esent on Windows: the shim needs a C compiler Windows runners lack
    : [embedded, ...esentNativeBackends, ...esentFacadeBackends];

/**
 * `describe(title, body)` once per backend, `$name` in the title replaced by its name. A backend with a
 * `skip` reason is still described, as `describe.skip` with the reason in its title, so every one of its
 * tests shows in the report as skipped instead of vanishing.
 */
export function describeEachBackend(title: string, body: (backend: Backend) => void): void {
  for (const backend of backends) {
    const name = title.replaceAll('$name', backend.name);
    if (backend.skip) describe.skip(`${name} [skipped: ${backend.skip}]`, () => body(backend));
    else describe(name, () => body(backend));
  }
}
