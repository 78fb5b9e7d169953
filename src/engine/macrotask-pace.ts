import { setImmediate as nextMacrotask } from 'node:timers/promises';

/** How long the engine's calls may run on microtasks alone before they let the event loop turn. */
export const DEFAULT_SLICE_MS = 1;

/**
 * A pacer for the engine's public async calls: `answer(value)` hands `value` back at once, or, once
 * `sliceMs` has passed since the event loop last turned, after the next macrotask (`setImmediate`).
 *
 * The embedded engine answers from memory and the page cache, so its calls resolve in microtasks: a
 * client looping on them would never let a timer, a signal handler or an AbortSignal run, and a stop
 * from any of them would never land. esent.dll through koffi `.async` always yields; with the pacer
 * the engine does too, once per slice: one clock read per call and one event-loop turn per slice, so
 * a stop lands within about `sliceMs` of being due. The call's work is done before the turn, so a call
 * already inside the engine completes whatever the turn lets in (reference §1).
 *
 * @example
 * const answer = macrotaskPace();
 * async function readFile() { return answer(readSync(…)); }
 */
export function macrotaskPace(sliceMs = DEFAULT_SLICE_MS): <T>(value: T) => T | Promise<T> {
  let last = performance.now();
  return <T>(value: T) => {
    if (performance.now() - last < sliceMs) return value;
    // The slice starts when the loop gives control back, not when the turn was asked for.
    return nextMacrotask().then(() => {
      last = performance.now();
      return value;
    });
  };
}
