import { checkSegment, fleetKeys } from './fleet-keys.js';
import { fleetSchema, type DesiredHold } from './fleet-values.js';
import { fleetBy } from './fleet-by.js';
import { withFleet, type FleetTarget } from './with-fleet.js';

/** Options of {@link fleetHold} and {@link fleetRelease}. */
export type FleetHoldOptions = FleetTarget & {
  /** One node (default: every node, `hold.all`). */
  node?: string;
  reason?: string;
  /** Who asks (default `user@host`). */
  by?: string;
};

/**
 * Hold the fleet (or one node): every coordinator it reaches refuses Begin with -523 until
 * `fleetRelease`. A coordinator that joins later, or restarts, reads the hold before its first Begin.
 * Running sessions go on.
 *
 * @returns the key written and its value.
 * @example
 * await fleetHold({ servers: 'nats://127.0.0.1:4222', reason: 'storage maintenance' });
 */
export async function fleetHold(options: FleetHoldOptions): Promise<{ key: string; value: DesiredHold }> {
  const key = options.node === undefined ? fleetKeys.holdAll : fleetKeys.holdNode(checkSegment(options.node, 'node'));
  const value: DesiredHold = { v: fleetSchema, reason: options.reason ?? '', by: options.by ?? fleetBy(), at: new Date().toISOString() };
  return withFleet(options, async (fleet) => {
    await fleet.desired.put(key, JSON.stringify(value));
    return { key, value };
  });
}

/**
 * Release a hold of `fleetHold` (the same `node`, or `hold.all`). A node hold and the fleet-wide hold
 * are separate keys: releasing one leaves the other.
 *
 * @returns the key and whether it held a value.
 */
export async function fleetRelease(options: FleetHoldOptions): Promise<{ key: string; wasHeld: boolean }> {
  const key = options.node === undefined ? fleetKeys.holdAll : fleetKeys.holdNode(checkSegment(options.node, 'node'));
  return withFleet(options, async (fleet) => {
    const before = await fleet.desired.get(key);
    await fleet.desired.delete(key);
    return { key, wasHeld: before?.operation === 'PUT' };
  });
}
