import { Observable } from 'rxjs';
import type { StopReason } from '../coordinator/index.js';
import { connectFleet, type FleetConnectOptions, type FleetConnection } from './connect-fleet.js';
import { watchDesiredState, type DesiredEntry } from './desired-state.js';
import { checkSegment, targets } from './fleet-keys.js';

/** Options of {@link fromFleet}. */
export type FromFleetOptions = ({ connection: FleetConnection } | FleetConnectOptions) & {
  node: string;
  /** Only stops for this instance (and node- and fleet-wide ones); default: every stop of the node. */
  instance?: string;
  onWarning?: (message: string) => void;
  resyncMs?: number;
  /** Called once the first full read is done: epochs written after that are news. */
  onReady?: () => void;
};

/**
 * The fleet's stops for `node` as a plain RxJS source: emits a `StopReason` (source `fleet`) for each
 * new epoch of `stop.all`, `stop.<node>` (and `stop.<node>.<instance>`) after subscription; epochs in
 * force at subscription are not news. Level-triggered like `joinFleet` (re-read on reconnect). It
 * neither publishes state nor applies holds: for users who wire stops themselves.
 *
 * @example
 * coordinator.stopWhen(fromFleet({ servers: 'nats://127.0.0.1:4222', node: 'db-1' }));
 */
export function fromFleet(options: FromFleetOptions): Observable<StopReason> {
  const node = checkSegment(options.node, 'node');
  const instance = options.instance === undefined ? undefined : checkSegment(options.instance, 'instance');
  return new Observable<StopReason>((subscriber) => {
    let closed = false;
    let cleanup = () => {};
    void (async () => {
      const owned = !('connection' in options && options.connection);
      const fleet = owned ? await connectFleet(options as FleetConnectOptions) : (options as { connection: FleetConnection }).connection;
      const desired = await watchDesiredState(fleet, {
        onWarning: options.onWarning ?? ((m) => console.warn(m)),
        ...(options.resyncMs ? { resyncMs: options.resyncMs } : {}),
      });
      const seen = new Map<string, number>();
      const mine = () =>
        [...desired.current().values()].filter(
          (e): e is Extract<DesiredEntry, { stop: unknown }> => 'stop' in e && targets(e.target, node, instance),
        );
      for (const e of mine()) seen.set(e.key, e.stop.epoch);
      const sub = desired.changes$.subscribe(() => {
        for (const e of mine()) {
          if (e.stop.epoch <= (seen.get(e.key) ?? 0)) continue;
          seen.set(e.key, e.stop.epoch);
          subscriber.next({
            source: 'fleet',
            detail: `${e.key} #${e.stop.epoch} by ${e.stop.by}${e.stop.reason ? `: ${e.stop.reason}` : ''}`,
            shutdown: false,
          });
        }
      });
      cleanup = () => {
        sub.unsubscribe();
        void desired.close().then(() => (owned ? fleet.close() : undefined));
      };
      if (closed) cleanup();
      else options.onReady?.();
    })().catch((e: unknown) => subscriber.error(e));
    return () => {
      closed = true;
      cleanup();
    };
  });
}
