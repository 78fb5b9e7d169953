import type { KvEntry } from '@nats-io/kv';
import type { FleetConnection } from './connect-fleet.js';
import { watchDesiredState } from './desired-state.js';
import { stateBucketOf } from './fleet-keys.js';
import { isReachable } from './fleet-reachability.js';
import { listKvKeys } from './list-kv-keys.js';
import { within } from './within.js';
import { checkInstanceStatus, decodeJson, type InstanceStatus } from './fleet-values.js';
import { withFleet, type FleetTarget } from './with-fleet.js';

/** One instance as `fleetStatus` shows it. */
export interface FleetInstanceRow {
  key: string;
  status: InstanceStatus;
  /** When the server stored the last put (ms since the epoch). */
  putAt: number;
  /** The last put is older than three heartbeats (and the member did not close): the node is cut off or dead. */
  unreachable: boolean;
  /** The member left cleanly (`close()`). */
  closed: boolean;
}

/** What `fleetStatus` resolves with. */
export interface FleetStatus {
  at: number;
  instances: FleetInstanceRow[];
  /** The desired state in force: `stop.*` (with their epochs) and `hold.*`. */
  stops: Array<{ key: string; epoch: number; reason: string; by: string; at: string }>;
  holds: Array<{ key: string; reason: string; by: string; at: string }>;
  /** Keys whose values could not be read (malformed), with why. */
  warnings: string[];
}

/** Reads every state key of the fleet's state bucket (values checked; malformed ones become warnings). */
export async function readInstanceRows(fleet: FleetConnection, warnings: string[], now = Date.now()): Promise<FleetInstanceRow[]> {
  const keys = await within(10_000, `listing ${fleet.bucket}-state`, listKvKeys(fleet.nc, stateBucketOf(fleet.bucket), 'state.>'));
  const rows: FleetInstanceRow[] = [];
  for (const key of keys) {
    const entry = await fleet.state.get(key);
    if (!entry || entry.operation !== 'PUT') continue;
    const row = toRow(entry, now, warnings);
    if (row) rows.push(row);
  }
  return rows;
}

/** A state entry as a row, or `undefined` (with a warning) when malformed. */
export function toRow(entry: KvEntry, now: number, warnings: string[]): FleetInstanceRow | undefined {
  const json = decodeJson(entry.value);
  const status = json.ok ? checkInstanceStatus(json.value) : json.why;
  if (typeof status === 'string') {
    warnings.push(`${entry.key}: ${status}`);
    return undefined;
  }
  const putAt = entry.created.getTime();
  return { key: entry.key, status, putAt, unreachable: !isReachable(status, putAt, now), closed: status.closed };
}

/**
 * The fleet now: every instance's last state (unreachable ones marked), and the stops and holds in force.
 *
 * @example
 * const { instances } = await fleetStatus({ servers: 'nats://127.0.0.1:4222' });
 */
export async function fleetStatus(target: FleetTarget): Promise<FleetStatus> {
  return withFleet(target, async (fleet) => {
    const warnings: string[] = [];
    const at = Date.now();
    const instances = await readInstanceRows(fleet, warnings, at);
    const desired = await watchDesiredState(fleet, { onWarning: (m) => warnings.push(m), follow: false });
    await desired.close();
    const stops: FleetStatus['stops'] = [];
    const holds: FleetStatus['holds'] = [];
    for (const e of desired.current().values()) {
      if ('stop' in e) stops.push({ key: e.key, epoch: e.stop.epoch, reason: e.stop.reason, by: e.stop.by, at: e.stop.at });
      else holds.push({ key: e.key, reason: e.hold.reason, by: e.hold.by, at: e.hold.at });
    }
    return { at, instances, stops, holds, warnings };
  });
}
