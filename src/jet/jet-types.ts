/** A `JET_INSTANCE`: a pointer-sized unsigned value. Branded so a handle cannot be passed for an instance. */
export type JetInstance = bigint & { readonly __jet?: 'instance' };

/** A `JET_HANDLE` of a backup file (handle 0 is valid). */
export type JetHandle = bigint & { readonly __jet?: 'handle' };

/** `JET_GRBIT`: a 32-bit unsigned set of flags. */
export type JetGrbit = number;

/** `JET_instanceNil`: all bits set (~0 as a 64-bit pointer). */
export const JET_instanceNil: JetInstance = 0xffff_ffff_ffff_ffffn;

/** The largest value a pointer-sized handle can hold. */
export const JET_API_PTR_MAX = 0xffff_ffff_ffff_ffffn;
