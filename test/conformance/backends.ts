import type { EmbeddedEngine } from '../../src/engine/embedded-engine-api.js';
import { createEmbeddedEngine } from '../../src/engine/index.js';
import type { JetBackupApi } from '../../src/jet/index.js';
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

/** Every backend the suite runs against (the koffi backend over esent joins here later). */
export const backends: readonly Backend[] = [embedded, ...esentNativeBackends];
