import { Subject, type Observable } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import type { InstanceBackupSnapshot } from '../coordinator/index.js';
import { JetError, type JetBackupApi } from '../jet/index.js';
import { timelineEntry, type TimelineDraft, type TimelineEntry } from './timeline-entry.js';

/** Options of `createTimeline`. */
export interface TimelineOptions {
  /** Entries kept per instance, oldest dropped first (default 500). */
  limit?: number;
  /** The clock of `at` (default `Date.now`). */
  now?: () => number;
}

/** The events of every instance of a coordinator, in order. */
export interface Timeline {
  /**
   * xstate's inspection observer: pass it to `createCoordinator({ inspect: timeline.inspect })` so
   * the timeline sees every event (each call, answer, error and stop request with its source), not
   * only the snapshots that changed.
   */
  readonly inspect: (event: InspectionEvent) => void;
  /** Whether `inspect` has seen the coordinator's actor system. */
  readonly inspecting: boolean;
  /**
   * The guarded session `session`, reporting each call the coordinator refuses before the engine
   * (the chart never sees those) as a `refused` entry with its JET code. Same methods, same results.
   */
  watch(session: JetBackupApi): JetBackupApi;
  /** Record a snapshot of `instance` (from `coordinator.states$`); ignored once `inspect` feeds the timeline. */
  observe(instance: string, snapshot: InstanceBackupSnapshot): void;
  /** The entries kept, of one instance or of all, oldest first. */
  entries(instance?: string): TimelineEntry[];
  /** Each new entry. */
  readonly entries$: Observable<TimelineEntry>;
}

const refusedMarker = 'refused before the engine';

/**
 * A timeline for the inspector. It derives entries from xstate's inspection stream when it is given
 * one (`inspect`), else from snapshot changes (`observe`); refused calls come from sessions wrapped
 * with `watch`, because the coordinator answers them without telling its chart.
 *
 * @example
 * const timeline = createTimeline();
 * const coordinator = createCoordinator({ api: engine, inspect: timeline.inspect });
 * const backup = timeline.watch(coordinator.session(inst));
 * const inspector = await createInspector({ coordinator, timeline });
 */
export function createTimeline(options: TimelineOptions = {}): Timeline {
  const { limit = 500, now = Date.now } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`createTimeline: limit must be an integer >= 1, got ${String(limit)}`);
  const byInstance = new Map<string, TimelineEntry[]>();
  const last = new Map<string, InstanceBackupSnapshot>();
  const added = new Subject<TimelineEntry>();
  let seq = 0;
  let inspecting = false;

  const push = (draft: TimelineDraft | null) => {
    if (draft === null) return;
    const entry: TimelineEntry = { seq: ++seq, at: now(), ...draft };
    const list = byInstance.get(entry.instance) ?? [];
    list.push(entry);
    if (list.length > limit) list.splice(0, list.length - limit);
    byInstance.set(entry.instance, list);
    added.next(entry);
  };
  const step = (instance: string, event: Parameters<typeof timelineEntry>[1], snapshot: InstanceBackupSnapshot) => {
    push(timelineEntry(instance, event, last.get(instance) ?? null, snapshot));
    last.set(instance, snapshot);
  };

  const refusal = (e: unknown) => {
    if (e instanceof JetError && e.message.includes(refusedMarker)) {
      const detail = /refused before the engine: ([^)]*)\)/.exec(e.message)?.[1];
      return {
        kind: 'refused',
        api: e.api,
        err: e.err,
        code: e.code,
        by: 'coordinator',
        text: `${e.api} refused: ${e.code} (${e.err})${detail ? ` — ${detail}` : ''}`,
      } as const;
    }
    // Without the inspection stream an engine error is seen only here.
    if (e instanceof JetError && !inspecting)
      return { kind: 'error', api: e.api, err: e.err, code: e.code, by: 'engine', text: `${e.api} answered ${e.code} (${e.err})` } as const;
    return null;
  };

  return {
    inspect(event) {
      inspecting = true;
      if (event.type !== '@xstate.snapshot') return;
      const id = (event.actorRef as { id?: unknown }).id;
      if (typeof id !== 'string') return;
      if (!id.startsWith('instance:')) return;
      step(id.slice('instance:'.length), event.event as Parameters<typeof timelineEntry>[1], event.snapshot as InstanceBackupSnapshot);
    },
    get inspecting() {
      return inspecting;
    },
    watch(session) {
      return new Proxy(session, {
        get(target, key, receiver) {
          const value: unknown = Reflect.get(target, key, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const instance = typeof args[0] === 'bigint' ? args[0].toString() : '?';
            const note = (e: unknown) => {
              const r = refusal(e);
              if (r) push({ instance, ...r });
            };
            try {
              const out: unknown = value.apply(target, args);
              return out instanceof Promise
                ? out.catch((e: unknown) => {
                    note(e);
                    throw e;
                  })
                : out;
            } catch (e) {
              note(e);
              throw e;
            }
          };
        },
      });
    },
    observe(instance, snapshot) {
      if (inspecting || last.get(instance) === snapshot) return;
      step(instance, null, snapshot);
    },
    entries: (instance) =>
      instance === undefined ? [...byInstance.values()].flat().sort((a, b) => a.seq - b.seq) : [...(byInstance.get(instance) ?? [])],
    entries$: added.asObservable(),
  };
}
