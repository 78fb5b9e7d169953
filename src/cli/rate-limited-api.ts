import { setTimeout as sleep } from 'node:timers/promises';
import type { JetBackupApi } from '../jet/index.js';

/**
 * A `JetBackupApi` whose reads are paced to at most `bytesPerSecond` (a backup that leaves the disk
 * to the application, or a demo slow enough to watch). Every other call goes straight through;
 * `stopBackup` stays synchronous, so a stop during a pause is seen by the very next call (-801).
 *
 * @param api the backend (the embedded engine, esent.dll).
 * @param bytesPerSecond the pace, > 0.
 * @throws RangeError for a pace that is not a positive finite number.
 * @example
 * const coordinator = createCoordinator({ api: rateLimitedApi(engine, 64 * 2 ** 20) });
 */
export function rateLimitedApi<T extends JetBackupApi>(api: T, bytesPerSecond: number): T {
  if (!(bytesPerSecond > 0) || !Number.isFinite(bytesPerSecond))
    throw new RangeError(`rateLimitedApi: bytesPerSecond must be a positive number, got ${bytesPerSecond}`);
  let started: number | undefined;
  let bytes = 0;
  const paced: T = Object.create(api) as T;
  paced.readFile = async (inst, handle, buffer) => {
    started ??= performance.now();
    const n = await api.readFile(inst, handle, buffer);
    bytes += n;
    const wait = started + (bytes / bytesPerSecond) * 1000 - performance.now();
    if (wait > 1) await sleep(wait);
    return n;
  };
  return paced;
}
