import { JET_bit, JET_err, instanceCheckErrs } from '../src/jet/index.js';

/**
 * The JET_ERR values and grbits the chart decides with: ESE's tables from the vocabulary layer
 * (`src/jet`, pure constants, no I/O), so the chart and the engines cannot disagree on a number.
 */
export const jetValues = { err: JET_err, bit: JET_bit } as const;

/** The codes of ESE's instance check (src/jet): they teach about the instance, not the session. */
export { instanceCheckErrs };

/** `JET_instanceNil` (~0 as a 64-bit pointer), decimal. */
export const instanceNil = '18446744073709551615';
