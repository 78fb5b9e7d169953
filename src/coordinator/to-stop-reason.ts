import type { StopReason } from '../../machines/index.js';

const sources = new Set<StopReason['source']>(['signal', 'abort', 'deadline', 'event', 'manual', 'shutdown', 'fleet']);

/**
 * The stop reason an emission or an argument stands for: a `StopReason` as is, a string as a manual
 * stop with that detail, anything else (an emission of any Observable) as an event stop.
 *
 * @example
 * toStopReason('operator') // { source: 'manual', detail: 'operator', shutdown: false }
 */
export function toStopReason(value: unknown, fallback: StopReason['source'] = 'event'): StopReason {
  if (typeof value === 'string') return { source: 'manual', detail: value, shutdown: false };
  if (typeof value === 'object' && value !== null && sources.has((value as StopReason).source)) {
    const { source, detail, shutdown } = value as StopReason;
    return detail === undefined ? { source, shutdown: shutdown === true } : { source, detail: String(detail), shutdown: shutdown === true };
  }
  return value === undefined ? { source: fallback, shutdown: false } : { source: fallback, detail: describe(value), shutdown: false };
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}
