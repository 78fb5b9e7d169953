import { KvWatchInclude } from '@nats-io/kv';
import type { FleetConnection } from './connect-fleet.js';
import { checkSegment, fleetKeys, parseDesiredKey, targets } from './fleet-keys.js';
import { checkDesiredStop, decodeJson, fleetSchema, type DesiredStop } from './fleet-values.js';
import { fleetBy } from './fleet-by.js';
import { readInstanceRows, toRow } from './fleet-status.js';
import { within } from './within.js';
import { withFleet, type FleetTarget } from './with-fleet.js';

/** Options of {@link fleetStop}. */
export type FleetStopOptions = FleetTarget & {
  /** One node (default: every node, `stop.all`). */
  node?: string;
  /** One instance of `node`. */
  instance?: string;
  reason?: string;
  /** Who asks (default `user@host`). */
  by?: string;
  /** How long to wait for the acknowledgements (default 10000 ms; 0: write and return). */
  waitMs?: number;
  /** Wait until the targeted sessions ended too, not only acknowledged the stop. */
  untilEnded?: boolean;
  /** Called as each targeted session acknowledges (and, with `untilEnded`, again as it ends). */
  onAck?: (ack: FleetStopAck) => void;
};

/** One targeted session's answer. Times are from just before the stop was written. */
export interface FleetStopAck {
  node: string;
  instance: string;
  /** `applied`: it published this stop's epoch as applied; `ended`: its session ended first. */
  how: 'applied' | 'ended';
  ackMs: number;
  /** When its session was seen ended (`null`: not within the wait, or not waited for). */
  endedMs: number | null;
}

/** What `fleetStop` resolves with. `ok`: every targeted session acknowledged within the wait. */
export interface FleetStopResult {
  key: string;
  epoch: number;
  stop: DesiredStop;
  /** The sessions the stop was for: running (or stopping) by their last state, reachable or not. */
  targeted: Array<{ node: string; instance: string; unreachable: boolean }>;
  acked: FleetStopAck[];
  /** Targeted sessions with no acknowledgement within the wait. */
  missing: Array<{ node: string; instance: string; unreachable: boolean }>;
  ok: boolean;
}

const live = new Set(['running', 'stopping']);

/**
 * Stop backups across the fleet: writes `stop.all`, `stop.<node>` or `stop.<node>.<instance>` with a
 * new epoch (compare-and-set, so two controllers never reuse one), then follows the state bucket until
 * every targeted session — running by its last published state — reports the stop applied or its
 * session ended, or `waitMs` runs out. Sessions of unreachable nodes are targeted too: they obey when
 * they return, if still running, and are reported `missing` until then.
 *
 * @throws RangeError for a bad node or instance name, or an instance without a node.
 * @example
 * const r = await fleetStop({ servers: 'nats://127.0.0.1:4222', reason: 'maintenance ends', waitMs: 10_000 });
 * if (!r.ok) console.log('not acknowledged:', r.missing);
 */
export async function fleetStop(options: FleetStopOptions): Promise<FleetStopResult> {
  if (options.instance !== undefined && options.node === undefined) throw new RangeError('fleetStop: an instance needs its node');
  const node = options.node === undefined ? undefined : checkSegment(options.node, 'node');
  const instance = options.instance === undefined ? undefined : checkSegment(options.instance, 'instance');
  const key =
    node === undefined ? fleetKeys.stopAll : instance === undefined ? fleetKeys.stopNode(node) : fleetKeys.stopInstance(node, instance);
  const target = parseDesiredKey(key)!;
  const waitMs = options.waitMs ?? 10_000;
  return withFleet(options, async (fleet) => {
    // Watch first, so no acknowledgement can come before the watch does.
    const watch = await fleet.state.watch({ key: 'state.>', include: KvWatchInclude.UpdatesOnly });
    try {
      const rows = await readInstanceRows(fleet, []);
      const targeted = rows.filter((r) => !r.closed && live.has(r.status.phase) && targets(target, r.status.node, r.status.instance));
      const pending = new Map(targeted.map((r) => [r.key, r]));
      const { stop, t0 } = await writeStop(fleet, key, options.reason ?? '', options.by ?? fleetBy());
      const acked = new Map<string, FleetStopAck>();
      const done = () => [...pending.keys()].every((k) => acked.has(k) && (!options.untilEnded || acked.get(k)!.endedMs !== null));
      if (waitMs > 0 && !done()) {
        const timer = setTimeout(() => watch.stop(), waitMs);
        try {
          for await (const e of watch) {
            if (!pending.has(e.key) || e.operation !== 'PUT') continue;
            const row = toRow(e, Date.now(), []);
            if (!row) continue;
            const ms = performance.now() - t0;
            const applied = row.status.fleetStops.some((s) => s.key === key && s.epoch === stop.epoch);
            const ended = !live.has(row.status.phase);
            let ack = acked.get(e.key);
            if (!ack && (applied || ended)) {
              ack = {
                node: row.status.node,
                instance: row.status.instance,
                how: applied ? 'applied' : 'ended',
                ackMs: ms,
                endedMs: ended ? ms : null,
              };
              acked.set(e.key, ack);
              options.onAck?.(ack);
            } else if (ack && ended && ack.endedMs === null) {
              ack.endedMs = ms;
              if (options.untilEnded) options.onAck?.(ack);
            }
            if (done()) break;
          }
        } finally {
          clearTimeout(timer);
        }
      }
      const missing = targeted
        .filter((r) => !acked.has(r.key))
        .map((r) => ({ node: r.status.node, instance: r.status.instance, unreachable: r.unreachable }));
      return {
        key,
        epoch: stop.epoch,
        stop,
        targeted: targeted.map((r) => ({ node: r.status.node, instance: r.status.instance, unreachable: r.unreachable })),
        acked: [...acked.values()],
        missing,
        ok: missing.length === 0,
      };
    } finally {
      watch.stop();
      // Iterate what is left: only then does the watch stop its consumer (else it outlives the connection).
      await within(
        2000,
        'stopping the watch',
        (async () => {
          for await (const _ of watch) {
            /* drained */
          }
        })(),
      ).catch(() => undefined);
    }
  });
}

/** Writes the next epoch of `key` with compare-and-set: at least the previous epoch + 1, and the time in ms (so a deleted key never repeats an epoch). */
async function writeStop(fleet: FleetConnection, key: string, reason: string, by: string): Promise<{ stop: DesiredStop; t0: number }> {
  for (let attempt = 0; ; attempt++) {
    const prev = await fleet.desired.get(key);
    const json = prev?.operation === 'PUT' ? decodeJson(prev.value) : undefined;
    const prevStop = json?.ok ? checkDesiredStop(json.value) : undefined;
    const prevEpoch = typeof prevStop === 'object' ? prevStop.epoch : 0;
    const stop: DesiredStop = { v: fleetSchema, epoch: Math.max(prevEpoch + 1, Date.now()), reason, by, at: new Date().toISOString() };
    const t0 = performance.now();
    try {
      if (prev) await fleet.desired.update(key, JSON.stringify(stop), prev.revision);
      else await fleet.desired.create(key, JSON.stringify(stop));
      return { stop, t0 };
    } catch (e) {
      // Another controller wrote the key between our read and write: read again.
      if (attempt >= 5) throw e;
    }
  }
}
