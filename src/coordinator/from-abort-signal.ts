import { Observable } from 'rxjs';
import type { StopReason } from '../../machines/index.js';

/**
 * A stop source: emits once when `signal` aborts (at once if it already has), then completes.
 * The reason's detail is the abort reason's message. Not a shutdown: the latch policy ignores it.
 *
 * @example
 * const controller = new AbortController();
 * coordinator.stopWhen(fromAbortSignal(controller.signal), { instances: [inst] });
 * controller.abort(new Error('operator'));
 */
export function fromAbortSignal(signal: AbortSignal): Observable<StopReason> {
  if (typeof signal?.addEventListener !== 'function' || typeof signal.aborted !== 'boolean')
    throw new TypeError('fromAbortSignal: signal must be an AbortSignal');
  return new Observable<StopReason>((subscriber) => {
    const emit = () => {
      const reason: unknown = signal.reason;
      const detail = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
      subscriber.next({ source: 'abort', detail, shutdown: false });
      subscriber.complete();
    };
    if (signal.aborted) {
      emit();
      return undefined;
    }
    signal.addEventListener('abort', emit, { once: true });
    return () => signal.removeEventListener('abort', emit);
  });
}
