import type { InstanceStatus } from './fleet-values.js';

/**
 * How long after its last put a state key counts as unreachable: three missed heartbeats, and at
 * least one second. Measured from the put's time in the server (the KV entry's `created`) to the
 * reader's clock, so the reader's clock and the server's must agree to well within that.
 */
export function unreachableAfterMs(status: Pick<InstanceStatus, 'heartbeatMs'>): number {
  return Math.max(3 * status.heartbeatMs, status.heartbeatMs + 1000);
}

/** Whether a state key put at `putAt` counts as reachable at `now` (a closed member is not unreachable: it left). */
export function isReachable(status: Pick<InstanceStatus, 'heartbeatMs' | 'closed'>, putAt: number, now = Date.now()): boolean {
  return status.closed || now - putAt <= unreachableAfterMs(status);
}
