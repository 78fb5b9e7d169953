import { Observable } from 'rxjs';
import type { StopReason } from '../../machines/index.js';

/** Any Node-style emitter (`on`/`off`, or `addListener`/`removeListener`). */
export type EventSource =
  | {
      on(event: string, listener: (...args: unknown[]) => void): unknown;
      off(event: string, listener: (...args: unknown[]) => void): unknown;
    }
  | {
      addListener(event: string, listener: (...args: unknown[]) => void): unknown;
      removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
    };

/**
 * A stop source: emits `{ source: 'event', detail: <event name>, shutdown }` each time `emitter`
 * emits `event` (an operator command, a service manager, a health check).
 *
 * @param options.shutdown mark the stop as a shutdown, for the latch policy (default false).
 * @example
 * coordinator.stopWhen(fromEmitter(serviceManager, 'stop', { shutdown: true }));
 */
export function fromEmitter(emitter: EventSource, event: string, options: { shutdown?: boolean } = {}): Observable<StopReason> {
  if (typeof event !== 'string') throw new TypeError('fromEmitter: event must be a string');
  const add = 'on' in emitter ? emitter.on.bind(emitter) : 'addListener' in emitter ? emitter.addListener.bind(emitter) : undefined;
  const remove =
    'off' in emitter ? emitter.off.bind(emitter) : 'removeListener' in emitter ? emitter.removeListener.bind(emitter) : undefined;
  if (!add || !remove) throw new TypeError('fromEmitter: emitter must have on/off or addListener/removeListener');
  const shutdown = options.shutdown === true;
  return new Observable<StopReason>((subscriber) => {
    const listener = () => subscriber.next({ source: 'event', detail: event, shutdown });
    add(event, listener);
    return () => void remove(event, listener);
  });
}
