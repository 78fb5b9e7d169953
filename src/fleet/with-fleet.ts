import { connectFleet, type FleetConnectOptions, type FleetConnection } from './connect-fleet.js';

/** How a controller reaches the fleet: an open connection (left open), or how to open one (closed after). */
export type FleetTarget = { connection: FleetConnection } | FleetConnectOptions;

/** Runs `fn` with the fleet's connection, closing it afterwards when it was opened here. */
export async function withFleet<T>(target: FleetTarget, fn: (fleet: FleetConnection) => Promise<T>): Promise<T> {
  if ('connection' in target && target.connection) return fn(target.connection);
  const fleet = await connectFleet(target as FleetConnectOptions);
  try {
    return await fn(fleet);
  } finally {
    await fleet.close();
  }
}
