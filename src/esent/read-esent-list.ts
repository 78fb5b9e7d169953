import { JET_err, JetError, check } from '../jet/index.js';
import { decodeMultiString } from './utf16-multi-string.js';

/** One call of a list API: `szz` null asks for the size only. */
export type EsentListCall<T> = (szz: Uint8Array | null, cbMax: number) => Promise<{ err: number; cbActual: number } & T>;

/** Tries before giving up on a list that keeps growing between calls. */
const MAX_TRIES = 8;

/**
 * Read a multi-string list from a W list API (GetAttachInfo, GetLogInfo, GetTruncateLogInfo) the way
 * ESE needs it: first with a NULL buffer for the size, then into a buffer of that size. The W variants
 * truncate silently instead of answering -1038. GetAttachInfo then reports `pcbActual > cbMax`; the log
 * lists clamp `pcbActual` to `cbMax` when given a buffer (backup.cxx), so for them a list without its
 * final NUL is the only sign that it grew in between. Either way: ask again with a larger buffer.
 *
 * @param api the ESE function, for JetError.api
 * @param call one call of that function
 * @returns the strings, and the last call's result (for JET_LOGINFO_W)
 * @throws JetError for a negative JET_ERR; -1038 (JET_errBufferTooSmall) if the list never fits in 8 tries
 * @example
 * const { files } = await readEsentList('JetGetAttachInfoInstanceW', (b, cb) => lib.JetGetAttachInfoInstanceW(inst, b, cb));
 */
export async function readEsentList<T>(
  api: string,
  call: EsentListCall<T>,
): Promise<{ files: string[]; last: { err: number; cbActual: number } & T }> {
  const sizing = await call(null, 0);
  check(api, sizing.err);
  let cbMax = sizing.cbActual;
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const szz = Buffer.alloc(Math.max(2, cbMax + (cbMax & 1)));
    const last = await call(szz, szz.length);
    check(api, last.err);
    if (last.cbActual <= szz.length) {
      const files = decodeMultiString(szz, last.cbActual);
      if (files) return { files, last };
    }
    cbMax = Math.max(last.cbActual, 2 * szz.length);
  }
  throw new JetError(api, JET_err.BufferTooSmall, { detail: `the list grew on each of ${MAX_TRIES} tries` });
}
