import { configureKoffiForEsent as configure, KoffiConfigError, loadKoffi as load } from '../ffi/load-koffi.js';
import { EsentLoadError } from './esent-load-error.js';

export { ESENT_ASYNC_HEAP_SIZE, ESENT_ASYNC_STACK_SIZE, ESENT_SYNC_STACK_SIZE } from '../ffi/load-koffi.js';

// src/ffi/load-koffi.ts configures and loads koffi for the whole process; here its refusal becomes the
// binding's own error (`ESENT_KOFFI_CONFIG`), as every other load failure of the binding is.
const asEsentError = <T>(f: () => T): T => {
  try {
    return f();
  } catch (e) {
    if (e instanceof KoffiConfigError) throw new EsentLoadError('ESENT_KOFFI_CONFIG', e.message, { platform: process.platform, cause: e });
    throw e;
  }
};

/** {@link configure}, failing with `EsentLoadError('ESENT_KOFFI_CONFIG')`. */
export const configureKoffiForEsent = (): ReturnType<typeof configure> => asEsentError(configure);

/** koffi, configured for ESE; `EsentLoadError('ESENT_KOFFI_CONFIG')` when that is no longer possible. */
export const loadKoffi = (): ReturnType<typeof load> => asEsentError(load);
