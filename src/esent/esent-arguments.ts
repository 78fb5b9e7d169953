import { JET_err, JetError } from '../jet/index.js';

// Checks made before any FFI call: wrong JavaScript types are TypeError/RangeError (house style §5);
// a bigint that no pointer can hold cannot name a live instance, so it answers like ESE would (-1003).

/**
 * The instance as a pointer-sized value.
 *
 * @throws TypeError if `inst` is not a bigint; JetError -1003 if it does not fit in `bits` unsigned bits
 * @example
 * const i = instanceArg('JetTerm2', inst, 64);
 */
export function instanceArg(api: string, inst: unknown, bits: number): bigint {
  if (typeof inst !== 'bigint') throw new TypeError(`${api}: instance must be a bigint, got ${inst === null ? 'null' : typeof inst}`);
  if (inst < 0n || inst >= 1n << BigInt(bits)) {
    throw new JetError(api, JET_err.InvalidParameter, {
      detail: `0x${inst.toString(16)} does not fit a ${bits}-bit JET_INSTANCE, so it is not a live instance`,
    });
  }
  return inst;
}

/** A backup file handle: any bigint (unknown ones are never handed to ESE, see createEsentBackend). */
export function handleArg(api: string, handle: unknown): bigint {
  if (typeof handle !== 'bigint') throw new TypeError(`${api}: handle must be a bigint, got ${handle === null ? 'null' : typeof handle}`);
  return handle;
}

/**
 * A `JET_GRBIT`: an integer in [0, 2^32).
 *
 * @throws TypeError if not a number; RangeError if not a uint32
 */
export function grbitArg(api: string, grbit: unknown, fallback: number): number {
  if (grbit === undefined) return fallback;
  if (typeof grbit !== 'number') throw new TypeError(`${api}: grbit must be a number, got ${typeof grbit}`);
  if (!Number.isInteger(grbit) || grbit < 0 || grbit > 0xffff_ffff)
    throw new RangeError(`${api}: grbit ${grbit} is not a 32-bit unsigned integer`);
  return grbit;
}

/** A read buffer: a Uint8Array of at most 2^32 - 1 bytes (`cb` is an `unsigned long`). */
export function bufferArg(api: string, buffer: unknown): Uint8Array {
  if (!(buffer instanceof Uint8Array)) throw new TypeError(`${api}: buffer must be a Uint8Array`);
  if (buffer.length > 0xffff_ffff) throw new RangeError(`${api}: a buffer of ${buffer.length} bytes does not fit a 32-bit cb`);
  return buffer;
}

/** A file name (UTF-16 on the way to ESE). */
export function pathArg(api: string, path: unknown): string {
  if (typeof path !== 'string') throw new TypeError(`${api}: path must be a string, got ${path === null ? 'null' : typeof path}`);
  return path;
}
