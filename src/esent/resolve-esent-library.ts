import path from 'node:path';
import { EsentLoadError } from './esent-load-error.js';

/** Where to load esent.dll from. */
export interface EsentLibraryOptions {
  /**
   * Path of esent.dll or of a library with its exports (default on Windows: `%SystemRoot%\System32\esent.dll`,
   * a full path so that no esent.dll in the current directory is picked up). Required on every other platform.
   */
  library?: string;
  /** The platform to decide for (default `process.platform`); tests use it to take the Windows path. */
  platform?: NodeJS.Platform;
  /** Reads and JetInit calls running at once on pool threads, across every instance (default 2; see AsyncGate). */
  bulkConcurrency?: number;
  /** Where reads run: `'worker'` (default: a thread per instance, synchronous calls) or `'async'` (koffi `.async`). */
  reads?: 'worker' | 'async';
}

/**
 * The library path to load: `options.library`, or the system `esent.dll` on Windows (full path).
 *
 * @throws TypeError for a library that is not a non-empty string; EsentLoadError `ESENT_PLATFORM_UNSUPPORTED`
 *   without a library path anywhere but Windows
 * @example
 * resolveEsentLibrary({}) // 'C:\\Windows\\System32\\esent.dll' on Windows
 */
export function resolveEsentLibrary(options: EsentLibraryOptions = {}): string {
  if (typeof options !== 'object' || options === null) throw new TypeError('createEsentBackend: options must be an object');
  const platform = options.platform ?? process.platform;
  if (options.library !== undefined) {
    if (typeof options.library !== 'string' || options.library === '')
      throw new TypeError('createEsentBackend: options.library must be a non-empty string');
    return options.library;
  }
  if (platform === 'win32') return path.win32.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'esent.dll');
  throw new EsentLoadError(
    'ESENT_PLATFORM_UNSUPPORTED',
    `esent.dll exists only on Windows (this is ${platform}): pass { library } with the path of a library that has esent.dll's exports`,
    { platform },
  );
}
