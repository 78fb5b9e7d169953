import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Subject, type Subscription } from 'rxjs';
import type { Coordinator, InstanceBackupSnapshot, StopReason } from '../coordinator/index.js';
import type { JetInstance } from '../jet/index.js';
import { connectFleet, type FleetConnectOptions, type FleetConnection } from './connect-fleet.js';
import type { DesiredEntry, DesiredState } from './desired-state.js';
import { shareDesiredState } from './shared-desired-state.js';
import { checkSegment, fleetKeys, targets, toSegment } from './fleet-keys.js';
import { isReachable } from './fleet-reachability.js';
import { checkInstanceStatus, decodeJson, fleetSchema, type AppliedStop, type InstanceStatus } from './fleet-values.js';
import { instancePhase, sessionStarted } from './instance-phase.js';

/** Options of {@link joinFleet}: a connection to reuse, or how to open one. */
export interface JoinFleetOptions extends Partial<FleetConnectOptions> {
  /** An open connection (not closed by `close()`); otherwise `servers` and the rest connect. Members on one connection share one watch of the desired state. */
  connection?: FleetConnection;
  /** This coordinator's node name (default: the host name, other characters as `-`). */
  node?: string;
  /** The key segment of an instance (default: its handle in decimal). */
  instanceName?: (inst: JetInstance) => string;
  /** How often every state key is re-put (default 2000 ms); a key not re-put for three beats counts as unreachable. */
  heartbeatMs?: number;
  /** How often the desired state is read in full besides the watch and reconnects (default 5000 ms). */
  resyncMs?: number;
  /** Where malformed desired values and failed puts are reported (default: `console.warn`). */
  onWarning?: (message: string) => void;
}

/** A coordinator's membership of a fleet. */
export interface FleetMember {
  readonly node: string;
  readonly connection: FleetConnection;
  /** The key segment `inst` is published under. */
  instanceName(inst: JetInstance): string;
  /** The runner's progress of `inst`, published with its state (`runBackup`'s `progress$` feeds it). */
  progress(inst: JetInstance, progress: { phase: string; bytesDone: number; bytesTotal: number }): void;
  /** Put every instance's state now and wait for the puts. */
  flush(): Promise<void>;
  /** Publish a last state (`closed: true`), release the fleet's holds, stop following, close an owned connection. */
  close(): Promise<void>;
}

/** Another live process already publishes this node and instance (two backups given the same `--node`). */
export class FleetConflictError extends Error {
  override readonly name = 'FleetConflictError';
}

interface Tracked {
  inst: JetInstance;
  name: string;
  key: string;
  snapshot: InstanceBackupSnapshot;
  started: boolean;
  sessions: number;
  /** Per stop key, the last epoch that is not news for the current session (known at its start, or applied). */
  baseline: Map<string, number>;
  fleetStops: AppliedStop[];
  progress: InstanceStatus['progress'];
  changedAt: number;
  stops: Subject<StopReason>;
  stopping: Subscription;
  /** The put loop in flight, if any. */
  putting: Promise<void> | undefined;
  dirty: boolean;
}

/** The prefix of the holds a fleet member places on its coordinator. */
const holdPrefix = 'fleet:';

/**
 * Join `coordinator` to a fleet: publish each instance's state to `state.<node>.<instance>` (on every
 * change and every heartbeat) and obey the desired state, level-triggered: `stop.all`,
 * `stop.<node>`, `stop.<node>.<instance>` stop each matching started session once per epoch newer than
 * what was known when the session started (through `coordinator.stopWhen`, reason source `fleet`);
 * `hold.all`, `hold.<node>` hold the coordinator (Begin refused with -523) until the key is deleted.
 * Resolves once the desired state was read, so a hold in force is applied before the first Begin.
 *
 * Without the server the coordinator keeps working locally; on reconnect the desired state is read
 * again and applied, and every state republished.
 *
 * @throws FleetConnectError (see `connectFleet`), RangeError for a bad node or instance name,
 *   FleetConflictError when another live process publishes the same node and instance.
 * @example
 * const member = await joinFleet(coordinator, { servers: 'nats://127.0.0.1:4222', node: 'db-1' });
 * … await member.close();
 */
export async function joinFleet(coordinator: Coordinator, options: JoinFleetOptions): Promise<FleetMember> {
  const node = checkSegment(options.node ?? toSegment(os.hostname()), 'node');
  const heartbeatMs = options.heartbeatMs ?? 2000;
  if (!(heartbeatMs >= 10)) throw new RangeError(`joinFleet: heartbeatMs must be at least 10, got ${heartbeatMs}`);
  const nameOf = (inst: JetInstance) => checkSegment(options.instanceName ? options.instanceName(inst) : inst.toString(), 'instance');
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const owned = options.connection === undefined;
  if (owned && options.servers === undefined) throw new TypeError('joinFleet: give options.connection or options.servers');
  const fleet = options.connection ?? (await connectFleet(options as FleetConnectOptions));
  const owner = randomUUID();
  const host = os.hostname();
  const tracked = new Map<JetInstance, Tracked>();
  let closed = false;
  let desired: DesiredState;
  try {
    for (const inst of coordinator.instances()) await checkNoOtherOwner(fleet, node, nameOf(inst), owner);
    // Coordinators on one connection share one watch: one consumer and one delivery per change.
    desired = await shareDesiredState(fleet, {
      onWarning: warn,
      ...(options.resyncMs !== undefined ? { resyncMs: options.resyncMs } : {}),
    });
  } catch (e) {
    if (owned) await fleet.close();
    throw e;
  }

  const stopEntries = () => [...desired.current().values()].filter((e): e is Extract<DesiredEntry, { stop: unknown }> => 'stop' in e);

  const statusOf = (t: Tracked): InstanceStatus => {
    const ctx = t.snapshot.context;
    const hold = [...coordinator.holds()][0];
    return {
      v: fleetSchema,
      node,
      instance: t.name,
      chart: t.snapshot.value,
      phase: instancePhase(t.snapshot),
      progress: t.progress,
      outcome: ctx.outcome,
      stopReason: ctx.session?.stopReason ?? null,
      fleetStops: t.fleetStops,
      held: hold
        ? { key: hold[0].startsWith(holdPrefix) ? hold[0].slice(holdPrefix.length) : hold[0], reason: hold[1].detail ?? hold[1].source }
        : null,
      sessions: t.sessions,
      changedAt: t.changedAt,
      heartbeatAt: Date.now(),
      heartbeatMs,
      closed,
      owner,
      pid: process.pid,
      host,
    };
  };

  // One put in flight per key; changes meanwhile coalesce into the next put (one connection keeps them
  // in order). The promise resolves once the state as of the call has been put (or failed to be).
  const publish = (t: Tracked): Promise<void> => {
    if (t.putting) {
      t.dirty = true;
      return t.putting;
    }
    t.putting = (async () => {
      try {
        do {
          t.dirty = false;
          try {
            await fleet.state.put(t.key, JSON.stringify(statusOf(t)));
          } catch (e) {
            // Disconnected: the heartbeat and the reconnect republish; nothing is lost locally.
            if (!fleet.nc.isClosed() && !isDisconnection(e))
              warn(`fleet: cannot publish ${t.key}: ${e instanceof Error ? e.message : String(e)}`);
          }
        } while (t.dirty && !fleet.nc.isClosed());
      } finally {
        t.putting = undefined;
      }
    })();
    return t.putting;
  };
  const publishAll = () => Promise.all([...tracked.values()].map(publish)).then(() => undefined);

  const applyStops = (t: Tracked): boolean => {
    if (!t.started) return false;
    let applied = false;
    for (const e of stopEntries()) {
      if (!targets(e.target, node, t.name) || e.stop.epoch <= (t.baseline.get(e.key) ?? 0)) continue;
      t.baseline.set(e.key, e.stop.epoch);
      t.fleetStops = [...t.fleetStops, { key: e.key, epoch: e.stop.epoch, appliedAt: Date.now() }];
      t.changedAt = Date.now();
      t.stops.next({
        source: 'fleet',
        detail: `${e.key} #${e.stop.epoch} by ${e.stop.by}${e.stop.reason ? `: ${e.stop.reason}` : ''}`,
        shutdown: false,
      });
      applied = true;
    }
    return applied;
  };

  const applyHolds = (): boolean => {
    const wanted = new Map<string, StopReason>();
    for (const e of desired.current().values()) {
      if ('hold' in e && targets(e.target, node))
        wanted.set(holdPrefix + e.key, {
          source: 'fleet',
          detail: `${e.key} by ${e.hold.by}${e.hold.reason ? `: ${e.hold.reason}` : ''}`,
          shutdown: false,
        });
    }
    let changed = false;
    for (const [key] of coordinator.holds()) {
      if (key.startsWith(holdPrefix) && !wanted.has(key)) {
        coordinator.release(key);
        changed = true;
      }
    }
    for (const [key, reason] of wanted) {
      const now = coordinator.holds().get(key);
      if (now?.detail === reason.detail) continue;
      coordinator.hold(key, reason);
      changed = true;
    }
    return changed;
  };

  const applyDesired = () => {
    const holdsChanged = applyHolds();
    for (const t of tracked.values()) if (applyStops(t) || holdsChanged) void publish(t);
  };

  const onSnapshot = (inst: JetInstance, snapshot: InstanceBackupSnapshot) => {
    let t = tracked.get(inst);
    if (!t) {
      const name = nameOf(inst);
      const stops = new Subject<StopReason>();
      t = {
        inst,
        name,
        key: fleetKeys.state(node, name),
        snapshot,
        started: false,
        sessions: 0,
        baseline: new Map(),
        fleetStops: [],
        progress: null,
        changedAt: Date.now(),
        stops,
        stopping: coordinator.stopWhen(stops, { instances: [inst] }),
        putting: undefined,
        dirty: false,
      };
      tracked.set(inst, t);
    }
    t.snapshot = snapshot;
    t.changedAt = Date.now();
    const started = sessionStarted(snapshot);
    if (started && !t.started) {
      // A new session: stops written before it started are not for it.
      t.sessions += 1;
      t.fleetStops = [];
      t.progress = null;
      t.baseline = new Map(
        stopEntries()
          .filter((e) => targets(e.target, node, t!.name))
          .map((e) => [e.key, e.stop.epoch]),
      );
    }
    t.started = started;
    void publish(t);
  };

  applyHolds();
  const states = coordinator.states$.subscribe(({ instance, snapshot }) => onSnapshot(instance, snapshot));
  // Each member applies a change in its own macrotask: the members sharing a watch then each send their
  // state as soon as their stop is applied (the client flushes after the task), instead of all after the
  // last member's chart transition, so the server and the controller work while the others still stop.
  let applying: NodeJS.Immediate | undefined;
  const changes = desired.changes$.subscribe(() => {
    applying ??= setImmediate(() => {
      applying = undefined;
      if (!closed) applyDesired();
    });
  });
  const heartbeat = setInterval(() => void publishAll(), heartbeatMs);
  heartbeat.unref();
  const statusLoop = (async () => {
    for await (const s of fleet.nc.status()) {
      if (closed) break;
      // Puts buffered over the gap are sent first; republish what is current now.
      if (s.type === 'reconnect') for (const t of tracked.values()) void publish(t);
    }
  })().catch(() => undefined);

  return {
    node,
    connection: fleet,
    instanceName: nameOf,
    progress(inst, p) {
      const t = tracked.get(inst);
      if (!t) return;
      t.progress = { phase: p.phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal };
    },
    flush: publishAll,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      if (applying) clearImmediate(applying);
      states.unsubscribe();
      changes.unsubscribe();
      await desired.close();
      for (const [key] of coordinator.holds()) if (key.startsWith(holdPrefix)) coordinator.release(key);
      for (const t of tracked.values()) {
        t.stopping.unsubscribe();
        t.stops.complete();
      }
      await Promise.race([publishAll(), new Promise((r) => setTimeout(r, 2000).unref())]);
      if (owned) await fleet.close();
      void statusLoop;
    },
  };
}

/** Refuses to publish a key another live process publishes (its last put is fresh and it did not close). */
async function checkNoOtherOwner(fleet: FleetConnection, node: string, instance: string, owner: string): Promise<void> {
  const entry = await fleet.state.get(fleetKeys.state(node, instance));
  if (!entry || entry.operation !== 'PUT') return;
  const json = decodeJson(entry.value);
  const status = json.ok ? checkInstanceStatus(json.value) : undefined;
  if (!status || typeof status === 'string' || status.owner === owner || !isReachable(status, entry.created.getTime()) || status.closed)
    return;
  throw new FleetConflictError(
    `fleet: node ${node} instance ${instance} is already published by a live process (pid ${status.pid} on ${status.host}); give each process its own node name`,
  );
}

function isDisconnection(e: unknown): boolean {
  const message = e instanceof Error ? `${e.name} ${e.message}` : String(e);
  return /timeout|disconnect|closed|no responders|503|reconnect/i.test(message);
}
