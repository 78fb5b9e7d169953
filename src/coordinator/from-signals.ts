import { Observable } from 'rxjs';
import type { StopReason } from '../../machines/index.js';

/** The part of `process` a signal source needs (injectable for tests). */
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Options of `fromSignals`. */
export interface FromSignalsOptions {
  /** Where signals arrive (default `process`). */
  target?: SignalTarget;
  /** The platform whose signals apply (default `process.platform`). */
  platform?: NodeJS.Platform;
}

/**
 * The signals listened to for `signals` on `platform`: on Windows SIGTERM never fires, so it stands
 * for SIGBREAK (Ctrl+Break) and SIGHUP (console closed).
 */
export function platformSignals(signals: readonly NodeJS.Signals[], platform: NodeJS.Platform): NodeJS.Signals[] {
  const out = new Set<NodeJS.Signals>();
  for (const s of signals) {
    if (platform === 'win32' && s === 'SIGTERM') {
      out.add('SIGBREAK');
      out.add('SIGHUP');
    } else {
      out.add(s);
    }
  }
  return [...out];
}

/**
 * A stop source: emits `{ source: 'signal', detail: <name>, shutdown: true }` on each signal.
 * Listeners are added on subscribe and removed on unsubscribe; while subscribed, the signals no
 * longer end the process by themselves (Node's default), so a shutdown can run (see `shutdownHook`).
 *
 * @example
 * coordinator.stopWhen(fromSignals(['SIGINT', 'SIGTERM']));
 */
export function fromSignals(
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
  options: FromSignalsOptions = {},
): Observable<StopReason> {
  if (!Array.isArray(signals) || signals.some((s) => typeof s !== 'string'))
    throw new TypeError('fromSignals: signals must be an array of signal names');
  const target = options.target ?? process;
  const names = platformSignals(signals, options.platform ?? process.platform);
  return new Observable<StopReason>((subscriber) => {
    const listeners = names.map((name) => [name, () => subscriber.next({ source: 'signal', detail: name, shutdown: true })] as const);
    for (const [name, listener] of listeners) target.on(name, listener);
    return () => {
      for (const [name, listener] of listeners) target.off(name, listener);
    };
  });
}
