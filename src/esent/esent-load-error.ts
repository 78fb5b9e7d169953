/** Why esent.dll (or a library standing in for it) could not be used. */
export type EsentLoadErrorCode =
  /** No library path was given and this is not Windows: there is no system esent.dll to load. */
  | 'ESENT_PLATFORM_UNSUPPORTED'
  /** The library could not be loaded from the path tried. */
  | 'ESENT_LIBRARY_NOT_FOUND'
  /** The library loaded but lacks an export this package needs (an older Windows, or a wrong library). */
  | 'ESENT_EXPORT_MISSING'
  /** koffi loaded a library with a smaller async stack before this package could raise it (see load-koffi.ts). */
  | 'ESENT_KOFFI_CONFIG';

/**
 * Raised before any ESE call when the library cannot be used: clear, never a crash. `code` tells which case;
 * `library` is the path tried, `platform` the OS, `exportName`/`minimumWindows` name a missing export.
 *
 * @example
 * try { createEsentBackend() } catch (e) { if (e instanceof EsentLoadError && e.code === 'ESENT_PLATFORM_UNSUPPORTED') … }
 */
export class EsentLoadError extends Error {
  readonly code: EsentLoadErrorCode;
  readonly library: string | undefined;
  readonly platform: string;
  readonly exportName: string | undefined;
  readonly minimumWindows: string | undefined;

  constructor(
    code: EsentLoadErrorCode,
    message: string,
    details: { library?: string; platform: string; exportName?: string; minimumWindows?: string; cause?: unknown },
  ) {
    super(message, { cause: details.cause });
    this.name = 'EsentLoadError';
    this.code = code;
    this.library = details.library;
    this.platform = details.platform;
    this.exportName = details.exportName;
    this.minimumWindows = details.minimumWindows;
  }
}
