import { createEmbeddedEngine } from '../../src/engine/index.js';
import { createEsentBackend } from '../../src/esent/index.js';
import { buildEsentShim, compilerMissing } from '../native/build-esent-shim.js';
import { startEsentShimHost } from '../native/esent-shim-host.js';
import type { Backend } from './backends.js';
import { esentSetupFacade } from './esent-setup-facade.js';

const systemEsent = process.platform === 'win32' && process.env.ESE_SYSTEM_ESENT === '1';

/**
 * The koffi backend with the suite's setup going through ESE's own calls too (esentSetupFacade): over the
 * system esent.dll under `npm run test:esent` on Windows, else over the shim when ESE_CONFORMANCE_FACADE=1
 * (opt-in: not every test passes there yet, see docs/esent-binding.md). Tests that need an embedded-engine
 * hook are skipped with the reason.
 */
const esentFacade: Backend = {
  name: systemEsent ? 'esent-system' : 'esent-facade',
  callEntersSynchronously: false,
  async open(directory) {
    if (systemEsent) {
      const api = createEsentBackend();
      const engine = esentSetupFacade(api, directory);
      return { api, engine, close: () => engine.close() };
    }
    const embedded = await createEmbeddedEngine({ directory });
    const host = startEsentShimHost(embedded, { library: buildEsentShim() });
    const api = createEsentBackend({ library: host.library });
    const engine = esentSetupFacade(api, directory);
    return {
      api,
      engine,
      async close() {
        await engine.close();
        host.close();
        await embedded.close();
      },
    };
  },
};

const wanted = systemEsent || process.env.ESE_CONFORMANCE_FACADE === '1';
const missing = systemEsent ? undefined : compilerMissing();

/** The façade backend when asked for (listed as skipped with the reason when it cannot run). */
export const esentFacadeBackends: readonly Backend[] = wanted ? [missing ? { ...esentFacade, skip: missing } : esentFacade] : [];
