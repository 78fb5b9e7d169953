import type { InstanceOptions, PageSize } from './embedded-engine-api.js';
import type { InstanceConfig } from './embedded-instance.js';

const PAGE_SIZES: readonly number[] = [4096, 8192, 16384, 32768];

/** Check `createInstance` options (RangeError/TypeError naming the option) and fill in ESE's defaults. */
export function resolveInstanceOptions(o: InstanceOptions = {}): InstanceConfig {
  if (typeof o !== 'object' || o === null) throw new TypeError('createInstance: options must be an object');
  const pageSize = o.pageSize ?? 4096;
  if (!PAGE_SIZES.includes(pageSize)) throw new RangeError(`createInstance: pageSize must be 4096, 8192, 16384 or 32768, got ${pageSize}`);
  const logFileSize = o.logFileSize ?? 1024 * 1024;
  if (!Number.isInteger(logFileSize) || logFileSize < 64 * 1024 || logFileSize % 4096 !== 0 || logFileSize > 2 ** 31) {
    throw new RangeError(`createInstance: logFileSize must be a multiple of 4096 from 64 KiB to 2 GiB, got ${logFileSize}`);
  }
  for (const k of ['circularLogging', 'recovery'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new TypeError(`createInstance: ${k} must be a boolean`);
  }
  const baseName = o.baseName ?? 'edb';
  if (typeof baseName !== 'string' || !/^[A-Za-z0-9]{3}$/.test(baseName))
    throw new RangeError(`createInstance: baseName must be three letters or digits, got ${String(baseName)}`);
  return {
    pageSize: pageSize as PageSize,
    logFileSize,
    circularLogging: o.circularLogging ?? false,
    recovery: o.recovery ?? true,
    baseName,
  };
}
