import fs from 'node:fs';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, credsAuthenticator, nkeyAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { checkBucket } from './check-bucket.js';
import { defaultFleetBucket, stateBucketOf } from './fleet-keys.js';

/**
 * How to reach the fleet's NATS server. Credentials are passed through to nats.js: `user`/`pass`,
 * `token`, a `credsFile` (JWT + NKey seed, as `nsc` writes it), an `nkeySeedFile`, and `tls`.
 *
 * The client is the official `@nats-io/transport-node` + `@nats-io/kv` 3.x: the maintained line of
 * nats.js (the `nats` 2.x package is its predecessor, in maintenance), split into small packages so
 * only the core, JetStream and KV parts are installed. Checked against nats-server 2.9.10 (Debian's).
 */
export interface FleetConnectOptions {
  /** `nats://host:port`, one or several (a cluster). */
  servers: string | string[];
  /** The desired-state bucket (default `ese-backup-fleet`); the state bucket is `<bucket>-state`. */
  bucket?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** A `.creds` file: user JWT and NKey seed. */
  credsFile?: string;
  /** A file holding an NKey user seed (`SU…`). */
  nkeySeedFile?: string;
  tls?: NodeConnectionOptions['tls'];
  /** The connection's name, shown by the server's monitoring. */
  name?: string;
  /** Wait between reconnect attempts (default 1000 ms; reconnects never give up). */
  reconnectTimeWaitMs?: number;
  /** How long a state key lives in the server without a re-put (the state bucket's max age; default 24 h; fixed when the bucket is created). */
  stateMaxAgeMs?: number;
  /** Any other nats.js connection option, passed through (wins over the above). */
  nats?: Partial<NodeConnectionOptions>;
}

/** An open connection to a fleet: the NATS connection and its two buckets. */
export interface FleetConnection {
  readonly nc: NatsConnection;
  readonly bucket: string;
  /** `stop.*` and `hold.*`, written by controllers. */
  readonly desired: KV;
  /** `state.<node>.<instance>`, written by coordinators. */
  readonly state: KV;
  /** Drain and close the connection (idempotent). */
  close(): Promise<void>;
}

/** The connection to the fleet failed: `reason` says what to do (start a server, pass credentials). */
export class FleetConnectError extends Error {
  override readonly name = 'FleetConnectError';
  constructor(
    readonly servers: string,
    readonly reason: 'unreachable' | 'authorization' | 'no-jetstream' | 'other',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const readFile = (file: string, what: string): Uint8Array => {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new FleetConnectError(file, 'other', `fleet: cannot read the ${what} ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
};

/**
 * Connect to the fleet's server and open (creating when absent) its two KV buckets: the desired state
 * (history 1: only the latest value of a key matters) and the state (history 1, max age `stateMaxAgeMs`).
 *
 * @throws FleetConnectError: `unreachable` (no server listening), `authorization` (credentials missing
 *   or refused), `no-jetstream` (a server started without `-js`).
 * @example
 * const fleet = await connectFleet({ servers: 'nats://127.0.0.1:4222', token: process.env.NATS_TOKEN });
 */
export async function connectFleet(options: FleetConnectOptions): Promise<FleetConnection> {
  const bucket = checkBucket(options.bucket ?? defaultFleetBucket);
  const servers = Array.isArray(options.servers) ? options.servers : [options.servers];
  if (servers.length === 0 || servers.some((s) => typeof s !== 'string' || s === ''))
    throw new TypeError('fleet: servers must be one or more nats:// URLs');
  const shown = servers.map((s) => s.replace(/\/\/[^@/]*@/, '//***@')).join(', ');
  const authenticator =
    options.credsFile !== undefined
      ? credsAuthenticator(readFile(options.credsFile, 'credentials file'))
      : options.nkeySeedFile !== undefined
        ? nkeyAuthenticator(new TextEncoder().encode(new TextDecoder().decode(readFile(options.nkeySeedFile, 'NKey seed file')).trim()))
        : undefined;
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      ...(options.user !== undefined ? { user: options.user } : {}),
      ...(options.pass !== undefined ? { pass: options.pass } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(authenticator ? { authenticator } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      name: options.name ?? 'ese-backup',
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 1000,
      ...options.nats,
    });
  } catch (e) {
    throw connectError(shown, e);
  }
  try {
    const kvm = new Kvm(nc);
    const desired = await kvm.create(bucket, { history: 1, description: 'ese-backup fleet: desired state (stop.*, hold.*)' });
    const state = await kvm.create(stateBucketOf(bucket), {
      history: 1,
      ttl: options.stateMaxAgeMs ?? 24 * 3600_000,
      description: 'ese-backup fleet: state of every instance',
    });
    let closing: Promise<void> | undefined;
    // Drain (let what is in flight finish), but never wait on it for long: a drain can stall with the server gone.
    const close = async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([nc.drain().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
    };
    return { nc, bucket, desired, state, close: () => (closing ??= close()) };
  } catch (e) {
    await nc.close().catch(() => undefined);
    const message = e instanceof Error ? e.message : String(e);
    if (/jetstream not enabled|no responders|503/i.test(message)) {
      throw new FleetConnectError(
        shown,
        'no-jetstream',
        `fleet: the server at ${shown} has no JetStream (start it with \`nats-server -js\`): ${message}`,
        { cause: e },
      );
    }
    throw new FleetConnectError(
      shown,
      'other',
      `fleet: cannot open the buckets ${bucket} and ${stateBucketOf(bucket)} at ${shown}: ${message}`,
      { cause: e },
    );
  }
}

function connectError(shown: string, e: unknown): FleetConnectError {
  const message = e instanceof Error ? e.message : String(e);
  const text = `${message} ${e instanceof Error && e.cause instanceof Error ? e.cause.message : ''}`;
  if (/authori[sz]ation|authentication|permissions/i.test(text)) {
    return new FleetConnectError(
      shown,
      'authorization',
      `fleet: the server at ${shown} refused the connection: ${message} (give credentials: a token, user and password, or a creds file)`,
      { cause: e },
    );
  }
  if (/ECONNREFUSED|connection refused|CONNECTION_REFUSED|ENOTFOUND|timeout/i.test(text)) {
    return new FleetConnectError(
      shown,
      'unreachable',
      `fleet: no NATS server at ${shown}: ${message} (start one with \`nats-server -js\`)`,
      { cause: e },
    );
  }
  return new FleetConnectError(shown, 'other', `fleet: cannot connect to ${shown}: ${message}`, { cause: e });
}
