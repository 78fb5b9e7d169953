import { InvalidArgumentError } from 'commander';

/**
 * commander argument parsers that reject bad values with the option's rule (exit code 2).
 *
 * @example
 * .option('--size <MiB>', 'database size', optionParsers.positive, 256)
 */
export const optionParsers = {
  /** A whole number >= 0 (milliseconds, ports). */
  count(value: string): number {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number >= 0');
    return n;
  },
  /** A number > 0 (MiB, MiB/s). */
  positive(value: string): number {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0');
    return n;
  },
  /** A number >= 0 (0 switches the feature off). */
  nonNegative(value: string): number {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number >= 0');
    return n;
  },
  /** A TCP port, 0 for any free one. */
  port(value: string): number {
    const n = optionParsers.count(value);
    if (n > 65535) throw new InvalidArgumentError('must be a port 0..65535');
    return n;
  },
  /** Bytes per JetReadFileInstance: a multiple of 4096, at least 12 KiB (3 pages of 4 KiB). */
  readSize(value: string): number {
    const n = optionParsers.count(value);
    if (n < 12288 || n % 4096 !== 0) throw new InvalidArgumentError('must be a multiple of 4096 and at least 12288 (3 pages)');
    return n;
  },
  /** An ESE page size. */
  pageSize(value: string): number {
    const n = Number(value);
    if (![4096, 8192, 16384, 32768].includes(n)) throw new InvalidArgumentError('must be 4096, 8192, 16384 or 32768');
    return n;
  },
  /** A file digest of new backup sets (`--digest`): blake3 or sha256. */
  digest(value: string): 'blake3' | 'sha256' {
    if (value !== 'blake3' && value !== 'sha256') throw new InvalidArgumentError('must be blake3 or sha256');
    return value;
  },
  /** Collects a repeatable option into a list. */
  collect(value: string, previous: string[] = []): string[] {
    return [...previous, value];
  },
};
