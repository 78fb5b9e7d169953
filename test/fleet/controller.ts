import { onTestFinished } from 'vitest';
import { connectFleet, type FleetConnection } from '../../src/fleet/index.js';

const open = new Map<string, Promise<FleetConnection>>();

/**
 * One controller connection per server and bucket for the current test (closed when it finishes):
 * status polls reuse it instead of connecting each time, which under load takes seconds.
 */
export function controller(servers: string, bucket: string): Promise<FleetConnection> {
  const key = `${servers} ${bucket}`;
  let c = open.get(key);
  if (!c) {
    c = connectFleet({ servers, bucket });
    open.set(key, c);
    onTestFinished(async () => {
      open.delete(key);
      await (await c!).close();
    });
  }
  return c;
}
