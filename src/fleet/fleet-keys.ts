/**
 * The keys of a fleet. Two JetStream KV buckets: `<bucket>` holds the desired state (written by
 * controllers, read by coordinators), `<bucket>-state` what each coordinator reports. Segments are
 * NATS subject tokens, so node and instance names are limited to `[A-Za-z0-9_-]`.
 *
 * desired:  stop.all | stop.<node> | stop.<node>.<instance> | hold.all | hold.<node>
 * state:    state.<node>.<instance>
 */
export const fleetKeys = {
  stopAll: 'stop.all',
  stopNode: (node: string) => `stop.${node}`,
  stopInstance: (node: string, instance: string) => `stop.${node}.${instance}`,
  holdAll: 'hold.all',
  holdNode: (node: string) => `hold.${node}`,
  state: (node: string, instance: string) => `state.${node}.${instance}`,
} as const;

/** The default desired-state bucket; the state bucket is `<bucket>-state`. */
export const defaultFleetBucket = 'ese-backup-fleet';

/** The name of the state bucket of `bucket`. */
export const stateBucketOf = (bucket: string) => `${bucket}-state`;

const segment = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `name` checked as one key segment (a node or instance name).
 *
 * @throws RangeError naming `what` when `name` holds anything but letters, digits, `_` and `-`
 *   (`all` is reserved for nodes: `stop.all` means every node).
 */
export function checkSegment(name: unknown, what: 'node' | 'instance'): string {
  if (typeof name !== 'string' || !segment.test(name)) {
    throw new RangeError(
      `fleet: ${what} name must be 1-64 letters, digits, '_' or '-' (a NATS subject token), got ${JSON.stringify(name)}`,
    );
  }
  if (what === 'node' && name === 'all') throw new RangeError("fleet: 'all' is not a node name (stop.all and hold.all mean every node)");
  return name;
}

/** `name` turned into a key segment (every other character becomes `-`), e.g. a host name with dots. */
export function toSegment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return s === '' || s === 'all' ? `node-${s}` : s;
}

/** A desired-state key parsed: what it targets, or `undefined` for a key this version does not know. */
export type DesiredKey = { kind: 'stop'; node: string | null; instance: string | null } | { kind: 'hold'; node: string | null };

/** Parses a key of the desired bucket. */
export function parseDesiredKey(key: string): DesiredKey | undefined {
  const parts = key.split('.');
  if (parts[0] === 'stop') {
    if (parts.length === 2)
      return parts[1] === 'all' ? { kind: 'stop', node: null, instance: null } : { kind: 'stop', node: parts[1]!, instance: null };
    if (parts.length === 3 && parts[1] !== 'all') return { kind: 'stop', node: parts[1]!, instance: parts[2]! };
  }
  if (parts[0] === 'hold' && parts.length === 2) return { kind: 'hold', node: parts[1] === 'all' ? null : parts[1]! };
  return undefined;
}

/** Whether a stop or hold key targets `node` (and `instance`, for stops). */
export function targets(key: DesiredKey, node: string, instance?: string): boolean {
  if (key.node !== null && key.node !== node) return false;
  return key.kind === 'hold' || key.instance === null || instance === undefined || key.instance === instance;
}
