import type { StateValue } from 'xstate';
import type { BackupOutcome, InstanceBackupSnapshot } from '../coordinator/index.js';
import { activeStates } from '../../diagrams/active-states.js';
import { allowedCalls, type CallVerdict } from './allowed-calls.js';
import { stopSourceLabel } from './stop-source-label.js';
import { outcomeText } from './timeline-entry.js';

/** What the inspector shows of one instance (JSON-safe): the JSON endpoint and the page use it as is. */
export interface InstanceView {
  /** The `JET_INSTANCE`, decimal. */
  instance: string;
  value: StateValue;
  /** Every active state, dot paths (`backup.session.stop.stopped`), compound states included. */
  active: string[];
  /** The active leaf states, one line: `backup.session.stop.stopped · call.idle · latch.off`. */
  state: string;
  /** The calls the engine would take now. */
  calls: CallVerdict[];
  /** The current or last session; `null` before the first Begin. */
  session: null | {
    open: boolean;
    incremental: boolean;
    /** The file being read. */
    file: string | null;
    copied: number;
    /** Why the session was stopped, if it was. */
    stop: null | { source: string; label: string; detail?: string; shutdown: boolean };
  };
  /** How the last session ended; `null` while none has. */
  outcome: null | (BackupOutcome & { text: string });
  /** JetStopBackupInstance calls that reached the backend. */
  stops: number;
  /** A shutdown that refuses Begin until reset (policy `'latch'`). */
  latch: string | null;
}

/**
 * The view of one instance from its chart snapshot.
 *
 * @example
 * instanceView('4096', coordinator.snapshot(inst)).state // 'backup.session.phase.databases · …'
 */
export function instanceView(instance: string, snapshot: InstanceBackupSnapshot): InstanceView {
  const { context } = snapshot;
  const active = activeStates(snapshot.value);
  const leaves = active.filter((p) => !active.some((q) => q.startsWith(`${p}.`)));
  const s = context.session;
  const stop = s?.stopReason ?? null;
  return {
    instance,
    value: snapshot.value,
    active,
    state: leaves.join(' · '),
    calls: allowedCalls(snapshot),
    session:
      s === null
        ? null
        : {
            open: s.open,
            incremental: s.incremental,
            file: s.file?.name ?? null,
            copied: s.copied.length,
            stop:
              stop === null
                ? null
                : {
                    source: stop.source,
                    label: stopSourceLabel(stop),
                    ...(stop.detail === undefined ? {} : { detail: stop.detail }),
                    shutdown: stop.shutdown,
                  },
          },
    outcome: context.outcome === null ? null : { ...context.outcome, text: outcomeText(context.outcome) },
    stops: context.stops,
    latch: context.latch === null ? null : stopSourceLabel(context.latch),
  };
}
