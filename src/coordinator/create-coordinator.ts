import { Observable, Subject, merge, defer, from, map, mergeMap, type Subscription } from 'rxjs';
import { createActor, enqueueActions, setup, type ActorRefFrom } from 'xstate';
import { instanceBackup, verdict, type StopReason, type Verdict } from '../../machines/index.js';
import { JetError, JET_err, type JetBackupApi, type JetInstance } from '../jet/index.js';
import type { Coordinator, CoordinatorOptions, InstanceState, SessionOptions, StopReasonLike } from './coordinator-types.js';
import { guardedSession, instanceSlot, type InstanceSlot } from './guarded-session.js';
import { snapshotStream } from './snapshot-stream.js';
import { toStopReason } from './to-stop-reason.js';

type AddInstance = { type: 'ADD_INSTANCE'; id: string; instance: string; facts: SessionOptions['facts'] };

/** The systemId of an instance's actor. */
const systemIdOf = (inst: JetInstance) => `instance:${inst}`;

/**
 * Create a coordinator: one xstate actor system whose root spawns an `instanceBackup` actor per ESE
 * instance (systemId `instance:<handle>`). The chart's `stopBackup` action is bound to
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
  if (policy !== 'engine' && policy !== 'latch') throw new RangeError(`createCoordinator: policy must be 'engine' or 'latch', got ${String(policy)}`);

  const slots = new Map<JetInstance, { slot: InstanceSlot; session: JetBackupApi }>();
  const added = new Subject<InstanceSlot>();

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
  const root = createActor(
    setup({ types: {} as { events: AddInstance }, actors: { instanceBackup: chart } }).createMachine({
      id: 'coordinator',
      on: {
        ADD_INSTANCE: {
          actions: enqueueActions(({ enqueue, event }) => {
            enqueue.spawnChild('instanceBackup', { id: event.id, systemId: event.id, input: { instance: event.instance, policy, ...(event.facts ? { facts: event.facts } : {}) } });
          }),
        },
      },
    }),
    inspect === undefined ? {} : { inspect },
  ).start();

  const known = (inst: JetInstance, what: string): InstanceSlot => {
    const entry = slots.get(inst);
    if (!entry) throw new RangeError(`${what}: instance ${inst} has no session in this coordinator`);
    return entry.slot;
  };
  const holds = new Map<string, StopReason>();
  const heldVerdict = (): Verdict | undefined => {
    if (holds.size === 0) return undefined;
    const [key, reason] = holds.entries().next().value as [string, StopReason];
    return { kind: 'refused', err: JET_err.BackupNotAllowedYet, or: [], rule: `held (${key}: ${reason.source}${reason.detail ? ` ${reason.detail}` : ''}) until released` };
  };
  const stopSlot = (slot: InstanceSlot, reason: StopReasonLike | undefined) =>
    slot.actor.send({ type: 'STOP_BACKUP', reason: toStopReason(reason, 'manual') });

  const coordinator: Coordinator = {
    policy,
    session(inst, sessionOptions = {}) {
      if (typeof inst !== 'bigint') throw new TypeError(`session: instance must be a bigint, got ${typeof inst}`);
      const existing = slots.get(inst);
      if (existing) return existing.session;
      const id = systemIdOf(inst);
      root.send({ type: 'ADD_INSTANCE', id, instance: inst.toString(), facts: sessionOptions.facts });
      const actor = root.system.get(id) as ActorRefFrom<typeof instanceBackup>;
      const slot = instanceSlot(inst, actor);
      const session = guardedSession(slot, api, () => stopSlot(slot, 'JetStopBackupInstance'), heldVerdict);
      slots.set(inst, { slot, session });
      added.next(slot);
      return session;
    },
    stop(inst, reason) {
      const entry = slots.get(inst);
      if (entry) stopSlot(entry.slot, reason);
    },
    stopAll(reason) {
      const r = toStopReason(reason, 'manual');
      for (const { slot } of slots.values()) stopSlot(slot, r);
    },
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
    hold(key, reason) {
      if (typeof key !== 'string' || key === '') throw new TypeError('hold: key must be a non-empty string');
      holds.set(key, toStopReason(reason, 'manual'));
    },
    release: (key) => void holds.delete(key),
    holds: () => new Map(holds),
    reset: (inst) => known(inst, 'reset').actor.send({ type: 'RESET' }),
    verdict: (inst, call) => {
      const snapshot = known(inst, 'verdict').actor.getSnapshot();
      return (call.type === 'BEGIN_EXTERNAL_BACKUP' ? heldVerdict() : undefined) ?? verdict(snapshot, call);
    },
    snapshot: (inst) => known(inst, 'snapshot').actor.getSnapshot(),
    instances: () => [...slots.keys()],
    state$: (inst) => defer(() => snapshotStream(known(inst, 'state$').actor)),
    states$: new Observable<InstanceState>((subscriber) => {
      const ofSlot = (slot: InstanceSlot) => snapshotStream(slot.actor).pipe(map((snapshot) => ({ instance: slot.inst, snapshot })));
      return merge(from([...slots.values()].map((e) => e.slot)), added).pipe(mergeMap(ofSlot)).subscribe(subscriber);
    }),
    dispose: () => root.stop(),
  };
  return coordinator;
}
