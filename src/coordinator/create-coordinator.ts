import { Observable, Subject, merge, defer, from, map, mergeMap, type Subscription } from 'rxjs';
import { createActor } from 'xstate';
import { instanceBackup, verdict, type Verdict } from '../../machines/index.js';
import { JetError, JET_err, type JetBackupApi, type JetInstance } from '../jet/index.js';
import type { StopReason } from '../../machines/index.js';
import type { Coordinator, CoordinatorOptions, InstanceState, SessionOptions, StopDelivery, StopRequest } from './coordinator-types.js';
import { guardedSession, instanceSlot, type InstanceSlot } from './guarded-session.js';
import { snapshotStream } from './snapshot-stream.js';
import { toStopReason } from './to-stop-reason.js';

/** The systemId of an instance's actor. */
const systemIdOf = (inst: JetInstance) => `instance:${inst}`;

/**
 * Create a coordinator: an xstate `instanceBackup` actor per ESE instance (id and systemId
 * `instance:<handle>`), all seen by the one `inspect` observer. The chart's `stopBackup` action is bound to
 * `api.stopBackup`, so a stop reaches the backend from inside the transition, synchronously.
 *
 * @param options.api the backend; @param options.policy `'engine'` (default) or `'latch'`;
 * @param options.inspect xstate's inspection observer, passed through.
 * @example
 * const coordinator = createCoordinator({ api: engine });
 * const backup = coordinator.session(inst);
 * coordinator.stopWhen(fromSignals(['SIGINT', 'SIGTERM']));
 * await backup.beginExternalBackup(inst); // ... -801 after a signal, then End ends it
 */
export function createCoordinator(options: CoordinatorOptions): Coordinator {
  const { api, policy = 'engine', inspect } = options;
  if (typeof api?.stopBackup !== 'function') throw new TypeError('createCoordinator: options.api must implement JetBackupApi');
  if (policy !== 'engine' && policy !== 'latch')
    throw new RangeError(`createCoordinator: policy must be 'engine' or 'latch', got ${String(policy)}`);

  const slots = new Map<JetInstance, { slot: InstanceSlot; session: JetBackupApi }>();
  const added = new Subject<InstanceSlot>();
  const stopRequests = new Subject<StopRequest>();
  let disposed = false;

  const chart = instanceBackup.provide({
    actions: {
      stopBackup: ({ context, self }) => {
        try {
          api.stopBackup(BigInt(context.instance));
        } catch (e) {
          // On failure nothing changed in the engine; the chart learns it (a dead instance) next tick.
          const err = e instanceof JetError ? e.err : 0;
          queueMicrotask(() => self.send({ type: 'JET_ERROR', call: { type: 'STOP_BACKUP' }, err }));
        }
      },
    },
  });
  // Each instance actor is the root of its own small system, all sharing the `inspect` observer. A
  // coordinator machine spawning them as children (spawnChild) would copy its children map into a new
  // snapshot per spawn, making the n-th instance cost O(n), and stopAll pay for the parent's snapshots.
  const spawn = (inst: JetInstance, facts: SessionOptions['facts']) => {
    const id = systemIdOf(inst);
    const input = { instance: inst.toString(), policy, ...(facts ? { facts } : {}) };
    return createActor(chart, { id, systemId: id, input, ...(inspect === undefined ? {} : { inspect }) }).start();
  };

  const known = (inst: JetInstance, what: string): InstanceSlot => {
    const entry = slots.get(inst);
    if (!entry) throw new RangeError(`${what}: instance ${inst} has no session in this coordinator`);
    return entry.slot;
  };
  const holds = new Map<string, StopReason>();
  const heldVerdict = (): Verdict | undefined => {
    if (holds.size === 0) return undefined;
    const [key, reason] = holds.entries().next().value as [string, StopReason];
    return {
      kind: 'refused',
      err: JET_err.BackupNotAllowedYet,
      or: [],
      rule: `held (${key}: ${reason.source}${reason.detail ? ` ${reason.detail}` : ''}) until released`,
    };
  };
  /** Send the stop to the slot's chart and tell what it reached, from the chart's context before and after. */
  const stopSlot = (slot: InstanceSlot, reason: StopReason): StopDelivery => {
    if (disposed) return 'noSession'; // the actors are stopped: nothing can reach a session
    const before = slot.actor.getSnapshot().context;
    slot.actor.send({ type: 'STOP_BACKUP', reason });
    const after = slot.actor.getSnapshot().context;
    let delivery: StopDelivery = 'noSession';
    if (after.stops > before.stops) delivery = 'stopped';
    else if (after.stopPending !== null) delivery = 'pending';
    else if (after.session?.open && after.session.stopReason !== null) delivery = 'alreadyStopped';
    if (stopRequests.observed) stopRequests.next({ instance: slot.inst, reason, delivery });
    return delivery;
  };

  const coordinator: Coordinator = {
    policy,
    session(inst, sessionOptions = {}) {
      if (typeof inst !== 'bigint') throw new TypeError(`session: instance must be a bigint, got ${typeof inst}`);
      const existing = slots.get(inst);
      if (existing) return existing.session;
      const slot = instanceSlot(inst, spawn(inst, sessionOptions.facts));
      const session = guardedSession(slot, api, () => void stopSlot(slot, toStopReason('JetStopBackupInstance', 'manual')), heldVerdict);
      slots.set(inst, { slot, session });
      added.next(slot);
      return session;
    },
    stop(inst, reason) {
      const entry = slots.get(inst);
      return entry ? stopSlot(entry.slot, toStopReason(reason, 'manual')) : 'unknownInstance';
    },
    stopAll(reason) {
      const r = toStopReason(reason, 'manual');
      for (const { slot } of slots.values()) stopSlot(slot, r);
    },
    stopRequests$: stopRequests.asObservable(),
    stopWhen(source$, stopOptions = {}): Subscription {
      const selected = stopOptions.instances;
      return source$.subscribe({
        next: (value) => {
          const reason = toStopReason(value);
          if (selected === undefined) coordinator.stopAll(reason);
          else for (const inst of selected) coordinator.stop(inst, reason);
        },
        // A failing source stops nothing; its error must not escape as an unhandled one.
        error: () => {},
      });
    },
    reset: (inst) => known(inst, 'reset').actor.send({ type: 'RESET' }),
    hold(key, reason) {
      if (typeof key !== 'string' || key === '') throw new TypeError('hold: key must be a non-empty string');
      holds.set(key, toStopReason(reason, 'manual'));
    },
    release: (key) => void holds.delete(key),
    holds: () => new Map(holds),
    verdict: (inst, call) => {
      const snapshot = known(inst, 'verdict').actor.getSnapshot();
      return (call.type === 'BEGIN_EXTERNAL_BACKUP' ? heldVerdict() : undefined) ?? verdict(snapshot, call);
    },
    snapshot: (inst) => known(inst, 'snapshot').actor.getSnapshot(),
    instances: () => [...slots.keys()],
    state$: (inst) => defer(() => snapshotStream(known(inst, 'state$').actor)),
    states$: new Observable<InstanceState>((subscriber) => {
      const ofSlot = (slot: InstanceSlot) => snapshotStream(slot.actor).pipe(map((snapshot) => ({ instance: slot.inst, snapshot })));
      return merge(from([...slots.values()].map((e) => e.slot)), added)
        .pipe(mergeMap(ofSlot))
        .subscribe(subscriber);
    }),
    dispose() {
      disposed = true;
      for (const { slot } of slots.values()) slot.actor.stop();
    },
  };
  return coordinator;
}
