import type { BackupOutcome, InstanceBackupSnapshot, StopReason } from '../coordinator/index.js';
import { jetErrName } from '../jet/index.js';
import { activeStates } from '../../diagrams/active-states.js';
import { callApiName } from './call-api-name.js';
import { stopSourceLabel } from './stop-source-label.js';

/** What a timeline entry records. */
export type TimelineKind = 'start' | 'call' | 'answer' | 'error' | 'refused' | 'stop' | 'outcome' | 'state' | 'reset' | 'event';

/** One line of an instance's timeline (JSON-safe). */
export interface TimelineEntry {
  /** Increasing across the timeline. */
  seq: number;
  /** Epoch milliseconds. */
  at: number;
  /** The `JET_INSTANCE`, decimal. */
  instance: string;
  kind: TimelineKind;
  /** One line for people. */
  text: string;
  /** The chart event (`'READ_FILE'`), when an event caused the entry. */
  event?: string;
  /** The ESE function (`'JetReadFileInstance'`). */
  api?: string;
  /** A JET error: its number and name (`-801`, `'JET_errBackupAbortByServer'`). */
  err?: number;
  code?: string;
  /** Who answered an error: the engine, or the coordinator before the engine (a refused call). */
  by?: 'engine' | 'coordinator';
  /** A stop's source (`'abort'`), as named on the page (`'AbortSignal (operator)'`), and its detail. */
  source?: StopReason['source'];
  sourceLabel?: string;
  /** States entered by the transition (leaves, dot paths). */
  entered?: string[];
  /** The outcome of a session that ended with this entry. */
  outcome?: BackupOutcome;
}

/** An entry before the timeline numbers and stamps it. */
export type TimelineDraft = Omit<TimelineEntry, 'seq' | 'at'>;

type AnyEvent = { type: string; err?: unknown; call?: { type: string }; reason?: StopReason };

const leaves = (paths: string[]) => paths.filter((p) => !paths.some((q) => q.startsWith(`${p}.`)));

/**
 * The timeline entry for one step of an instance's chart: the event that caused it (when known, from
 * xstate's inspection stream) and what changed between `prev` and `next` — states entered, a stop and
 * its source, the outcome of a session that ended. Returns `null` when there is nothing to say (no
 * event and no change).
 *
 * @example
 * timelineEntry('4096', { type: 'STOP_BACKUP', reason }, before, after)
 * // { kind: 'stop', source: 'abort', sourceLabel: 'AbortSignal (operator)', text: 'stop requested by AbortSignal (operator): session stopped', … }
 */
export function timelineEntry(
  instance: string,
  event: AnyEvent | null,
  prev: InstanceBackupSnapshot | null,
  next: InstanceBackupSnapshot,
): TimelineDraft | null {
  const before = prev ? activeStates(prev.value) : [];
  const entered = leaves(activeStates(next.value)).filter((p) => !before.includes(p));
  const stopBefore = prev?.context.session?.stopReason ?? null;
  const stopNow = next.context.session?.stopReason ?? null;
  const stopped = stopNow !== null && stopNow !== stopBefore && next.context.session !== null;
  const ended =
    next.context.outcome !== null && next.context.outcome !== (prev?.context.outcome ?? null) ? next.context.outcome : undefined;
  const base: TimelineDraft = {
    instance,
    kind: 'state',
    text: '',
    ...(entered.length ? { entered } : {}),
    ...(ended ? { outcome: ended } : {}),
  };
  const suffix = [
    ...(stopped && event?.type !== 'STOP_BACKUP' ? [`session stopped by ${stopSourceLabel(stopNow)}`] : []),
    ...(ended ? [`session ended: ${outcomeText(ended)}`] : []),
    ...(entered.length ? [`→ ${entered.join(', ')}`] : []),
  ];
  const withSuffix = (text: string) => (suffix.length ? `${text}; ${suffix.join('; ')}` : text);

  if (event === null) {
    if (!entered.length && !stopped && !ended) return null;
    if (stopped) return { ...base, kind: 'stop', source: stopNow.source, sourceLabel: stopSourceLabel(stopNow), text: suffix.join('; ') };
    return { ...base, kind: ended ? 'outcome' : 'state', text: suffix.join('; ') };
  }
  const api = callApiName(event.call?.type ?? event.type);
  const named = { ...base, event: event.type, ...(api ? { api } : {}) };
  if (event.type === 'xstate.init') return { ...named, kind: 'start', text: withSuffix('chart started') };
  if (event.type === 'STOP_BACKUP') {
    const label = stopSourceLabel(event.reason);
    const effect = stopped
      ? 'session stopped'
      : stopNow !== null
        ? 'already stopped'
        : next.context.stopPending !== null
          ? 'deferred until Begin answers'
          : 'no running session';
    return {
      ...named,
      kind: 'stop',
      source: event.reason?.source ?? 'manual',
      sourceLabel: label,
      text: withSuffix(`stop requested by ${label}: ${effect}`),
    };
  }
  if (event.type === 'JET_ERROR' && typeof event.err === 'number') {
    const code = jetErrName(event.err);
    return {
      ...named,
      kind: 'error',
      err: event.err,
      code,
      by: 'engine',
      text: withSuffix(`${api ?? event.call?.type} answered ${code} (${event.err})`),
    };
  }
  if (event.type === 'RESET') return { ...named, kind: 'reset', text: withSuffix('reset') };
  if (event.type.endsWith('.DONE')) return { ...named, kind: 'answer', text: withSuffix(`${api ?? event.type} returned`) };
  if (api) return { ...named, kind: 'call', text: withSuffix(`${api} called`) };
  return { ...named, kind: 'event', text: withSuffix(event.type) };
}

/** `completed`, `stopped by the server (JetStopBackupInstance)`, `failed: JET_errX (-n)`. */
export function outcomeText(outcome: BackupOutcome): string {
  switch (outcome.kind) {
    case 'completed':
      return 'completed';
    case 'stoppedByServer':
      return 'stopped by the server (JetStopBackupInstance)';
    case 'abortedByCaller':
      return 'aborted by the caller';
    case 'failed':
      return `failed: ${jetErrName(outcome.err)} (${outcome.err})`;
  }
}
