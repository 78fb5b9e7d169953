// Clear errors, not crashes: no esent.dll off Windows, a library that is not there, an export that is missing.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEsentBackend, EsentLoadError, loadEsentLibrary } from '../../src/esent/index.js';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import { buildEsentShim } from '../native/build-esent-shim.js';
import { filledInstance, noCompiler, openNative } from './native-session.js';

/** The EsentLoadError `run` throws. */
function loadError(run: () => unknown): EsentLoadError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(EsentLoadError);
    return e as EsentLoadError;
  }
  throw new Error('expected an EsentLoadError, but the call succeeded');
}

describe('esent: platform checks', () => {
  it('anywhere but Windows, without a library path: ESENT_PLATFORM_UNSUPPORTED, naming the platform', () => {
    for (const platform of ['linux', 'darwin', 'freebsd'] as const) {
      const e = loadError(() => createEsentBackend({ platform }));
      expect(e).toMatchObject({ code: 'ESENT_PLATFORM_UNSUPPORTED', platform, library: undefined });
      expect(e.message).toContain(`this is ${platform}`);
      expect(e.message).toContain('{ library }');
    }
  });

  it.skipIf(process.platform === 'win32')(
    'on Windows without a library path it loads System32\\esent.dll by full path (not here): ESENT_LIBRARY_NOT_FOUND',
    () => {
      const e = loadError(() => createEsentBackend({ platform: 'win32' }));
      const system = path.win32.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'esent.dll');
      expect(e).toMatchObject({ code: 'ESENT_LIBRARY_NOT_FOUND', library: system, platform: process.platform });
      expect(e.message).toContain(system);
    },
  );

  it('a library path that does not exist: ESENT_LIBRARY_NOT_FOUND, naming the path and the platform', () => {
    const missing = path.join(import.meta.dirname, 'no-such-dir', 'esent.dll');
    const e = loadError(() => createEsentBackend({ library: missing }));
    expect(e).toMatchObject({ code: 'ESENT_LIBRARY_NOT_FOUND', library: missing, platform: process.platform });
    expect(e.message).toContain(missing);
    expect(e.message).toContain(process.platform);
    expect(e.cause).toBeInstanceOf(Error);
  });

  it('a library option of the wrong type is a TypeError', () => {
    for (const library of [42, '', null, {}] as unknown as string[]) {
      expect(() => createEsentBackend({ library })).toThrow(TypeError);
    }
  });

  it.skipIf(noCompiler)(
    'a library without JetStopServiceInstance2 (an esent.dll older than Windows 8): JetStopServiceInstance with its one meaning, stop all',
    async () => {
      const library = buildEsentShim('SHIM_OMIT_STOP_SERVICE');
      const lib = loadEsentLibrary(library);
      expect(lib.hasExport('JetStopServiceInstance2')).toBe(false);
      expect(lib.hasExport('JetStopServiceInstance')).toBe(true);
      await expect(lib.JetStopServiceInstance2(1n, 0)).rejects.toMatchObject({
        code: 'ESENT_EXPORT_MISSING',
        exportName: 'JetStopServiceInstance2',
        minimumWindows: 'Windows 8',
      });

      const { api, engine, host } = await openNative(undefined, library);
      const inst = await filledInstance(engine, 'old-windows');
      // A grbit the old call cannot express is refused before any call, with ESE's code for a bad grbit.
      for (const grbit of [JET_bit.StopServiceQuiesceCaches, JET_bit.StopServiceBackgroundUserTasks, JET_bit.StopServiceResume]) {
        await expect(api.stopService(inst, grbit)).rejects.toMatchObject({ err: JET_err.InvalidGrbit, api: 'JetStopServiceInstance' });
      }
      expect(host.calls.filter((c) => c.api.startsWith('stopService'))).toEqual([]);
      await api.beginExternalBackup(inst, 0); // still running
      await api.endExternalBackup(inst, JET_bit.BackupEndAbort);
      await api.stopService(inst); // JET_bitStopServiceAll, through JetStopServiceInstance
      expect(host.calls.filter((c) => c.api.startsWith('stopService')).map((c) => [c.api, c.err])).toEqual([['stopServiceOld', 0]]);
      await expect(api.beginExternalBackup(inst, 0)).rejects.toMatchObject({ err: JET_err.ClientRequestToStopJetService });
    },
  );

  it.skipIf(noCompiler)('a library with JetStopServiceInstance2 uses it, grbits and all', async () => {
    const { api, engine, host } = await openNative();
    const inst = await filledInstance(engine, 'new-windows');
    await api.stopService(inst, JET_bit.StopServiceQuiesceCaches);
    expect(host.calls.filter((c) => c.api.startsWith('stopService')).map((c) => [c.api, c.grbit])).toEqual([
      ['stopService', JET_bit.StopServiceQuiesceCaches],
    ]);
  });
});
