/** Bytes per demo row. */
export const DEMO_ROW_BYTES = 64 * 1024;

/**
 * The value of the demo's row `i`: a fixed pattern stamped with the row number, so that a restore can
 * be checked byte for byte.
 *
 * @example
 * await db.put('row-7', demoRowValue(7)); // later: restored.get('row-7') equals demoRowValue(7)
 */
export function demoRowValue(i: number): Uint8Array {
  const value = new Uint8Array(DEMO_ROW_BYTES);
  for (let j = 0; j < value.length; j++) value[j] = (j * 31 + i) & 0xff;
  new DataView(value.buffer).setUint32(0, i, true);
  return value;
}
