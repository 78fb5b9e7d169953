import { createEmbeddedEngine } from '../../src/engine/index.js';
import { createEsentBackend } from '../../src/esent/index.js';
import { buildEsentShim, compilerMissing } from '../native/build-esent-shim.js';
import { startEsentShimHost } from '../native/esent-shim-host.js';
import type { Backend } from './backends.js';
import { requireAllPrerequisites } from '../support/prerequisite.js';

/**
 * The koffi backend over the esent shim (test/native): `createEsentBackend({ library })` answers every
 * backup call through a real C ABI, with the embedded engine's semantics behind it; `engine` is that
 * engine, for setup. Empty (with a message) only when no C compiler exists.
 */
const esentNative: Backend = {
  name: 'esent-native',
  // The read enters the engine on the main thread after a hop from a koffi worker: a stop issued right
  // after the call may come first (test/esent holds the in-flight case deterministically).
  callEntersSynchronously: false,
  async open(directory) {
    const engine = await createEmbeddedEngine({ directory });
    const host = startEsentShimHost(engine, { library: buildEsentShim() });
    const api = createEsentBackend({ library: host.library });
    return {
      api,
      engine,
      async close() {
        host.close();
        await engine.close();
      },
    };
  },
};

const missing = compilerMissing();
if (missing) {
  // In CI a missing prerequisite fails the run: the backend stays unskipped, so opening it throws.
  if (requireAllPrerequisites)
    console.error(`conformance: the esent-native backend cannot run and every prerequisite is required: ${missing}`);
  else console.warn(`conformance: the esent-native backend is listed as skipped: ${missing}`);
}

/** The native backends the conformance suite also runs against (listed as skipped without a C compiler, outside CI). */
export const esentNativeBackends: readonly Backend[] = [
  missing && !requireAllPrerequisites ? { ...esentNative, skip: missing } : esentNative,
];
