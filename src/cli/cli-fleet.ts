import fs from 'node:fs';
import type { Coordinator } from '../coordinator/index.js';
import { joinFleet, type FleetConnectOptions, type FleetMember } from '../fleet/index.js';
import { toSegment } from '../fleet/fleet-keys.js';
import type { JetInstance } from '../jet/index.js';
import { UsageError } from './usage-error.js';

/** How a command reaches the fleet, from `--nats`/`--fleet`, `--nats-creds`, `--bucket` and the environment. */
export interface CliFleetOptions {
  servers: string;
  bucket?: string;
  /** `--node` (backup and demo). */
  node?: string;
  credsFile?: string;
}

/**
 * The connect options of a command: credentials never come from the command line in plain text —
 * `--nats-creds FILE`, or `NATS_TOKEN`, or `NATS_USER` with `NATS_PASSWORD`, from the environment
 * (a user and password inside the URL also work, as nats.js reads them).
 *
 * @throws UsageError for a URL that is not nats:// (or tls://), or a creds file that does not exist.
 */
export function fleetConnectOptions(o: CliFleetOptions, env: NodeJS.ProcessEnv): FleetConnectOptions {
  const urls = o.servers
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const url of urls)
    if (!/^(nats|tls):\/\/[^\s]+$/.test(url) && !/^[A-Za-z0-9.-]+:\d+$/.test(url))
      throw new UsageError(`--nats/--fleet: ${url} is not a NATS URL (nats://HOST:PORT)`);
  if (urls.length === 0) throw new UsageError('--nats/--fleet: give a NATS URL (nats://HOST:PORT)');
  if (o.credsFile !== undefined && !fs.existsSync(o.credsFile)) throw new UsageError(`--nats-creds ${o.credsFile}: no such file`);
  return {
    servers: urls,
    ...(o.bucket ? { bucket: o.bucket } : {}),
    ...(o.credsFile ? { credsFile: o.credsFile } : {}),
    ...(env.NATS_TOKEN ? { token: env.NATS_TOKEN } : {}),
    ...(env.NATS_USER ? { user: env.NATS_USER, pass: env.NATS_PASSWORD ?? '' } : {}),
  };
}

/**
 * Joins a CLI run's coordinator to the fleet: node `--node` (default: the host name), the instance
 * under its name; warnings to stderr. Heartbeat and resync intervals can be shortened for tests with
 * `ESE_BACKUP_FLEET_HEARTBEAT_MS` (the resync is five beats).
 */
export async function joinCliFleet(
  coordinator: Coordinator,
  inst: JetInstance,
  name: string,
  o: CliFleetOptions,
  env: NodeJS.ProcessEnv,
  warn: (m: string) => void,
): Promise<FleetMember> {
  const heartbeat = Number(env.ESE_BACKUP_FLEET_HEARTBEAT_MS);
  const instanceName = toSegment(name);
  return joinFleet(coordinator, {
    ...fleetConnectOptions(o, env),
    ...(o.node !== undefined ? { node: o.node } : {}),
    instanceName: (i) => (i === inst ? instanceName : i.toString()),
    onWarning: warn,
    name: `ese-backup ${name}`,
    ...(heartbeat > 0 ? { heartbeatMs: heartbeat, resyncMs: 5 * heartbeat } : {}),
  });
}
