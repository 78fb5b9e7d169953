import { fromTransition, initialTransition, transition, type EventObject, type SnapshotFrom, type TransitionActorLogic } from 'xstate';
import { instanceBackup, verdict, type EngineFacts, type JetCall, type JetCallDone } from '../../../machines/index.js';
import { abstractActions, concreteCall, type AbstractAction, type PathsOf } from './abstract-action.js';

/** A traversal step: one abstract action. */
export interface ActionEvent extends EventObject {
  type: AbstractAction;
}

type ChartSnapshot = SnapshotFrom<typeof instanceBackup>;

/** What the fixture's engine knows at the start: a fresh instance, 4 KiB pages, logging on, no base. */
export const fixtureFacts: Partial<EngineFacts> = { pageSize: 4096, recovery: true, circularLogging: false, incrementalBase: false };

/** Symbolic paths of the model (the runner substitutes the real ones). */
export const modelPaths: PathsOf = { database: 'DB', someLog: () => 'L1', other: 'OTHER' };
const modelFileSize = { DB: 12288, log: 65536 };

/** The chart fed with `call` and its answer, as the coordinator feeds it (pure: actions are not run). */
export function feed(chart: ChartSnapshot, call: JetCall, answer: { err: number } | Omit<JetCallDone, 'type'>): ChartSnapshot {
  let s = chart;
  if (call.type === 'STOP_BACKUP') return transition(instanceBackup, s, call)[0];
  if (call.type !== 'READ_FILE') s = transition(instanceBackup, s, call)[0];
  const event =
    'err' in answer ? { type: 'JET_ERROR' as const, call, err: answer.err } : ({ type: `${call.type}.DONE`, ...answer } as JetCallDone);
  return transition(instanceBackup, s, event)[0];
}

/**
 * The answer the fixture's engine gives where the verdict leaves a choice: every file exists and
 * verifies; the copy range is one log (L1); a path that is not the database is -1203 in the database
 * phase, and one that is not L1 (or L1 once truncated) is -569 (kills) in the log phase; one READ reaches EOF; TruncateLog
 * without a listed copy range is -616 unless L1 was copied. The runner checks that the real engine
 * takes the same path (no drift) as well as every verdict.
 */
function predict(chart: ChartSnapshot, call: JetCall): { err: number } | Omit<JetCallDone, 'type'> {
  const v = verdict(chart, call);
  if (v.kind === 'refused') return { err: v.err };
  const session = chart.context.session;
  const logPhase = session !== null && (session.incremental || session.rangesFixed);
  switch (call.type) {
    case 'BEGIN_EXTERNAL_BACKUP':
    case 'END_EXTERNAL_BACKUP':
    case 'STOP_SERVICE':
    case 'TERM':
      return { grbit: call.grbit };
    case 'GET_ATTACH_INFO':
      return { files: ['DB'] };
    case 'GET_LOG_INFO':
    case 'GET_TRUNCATE_LOG_INFO':
      return { files: ['L1'] };
    case 'OPEN_FILE': {
      if (!logPhase) return call.name === 'DB' ? { name: 'DB', size: String(modelFileSize.DB) } : { err: -1203 };
      if (call.name === 'DB') return { err: -521 };
      // TruncateLog deleted the truncate range, L1 with it: opening it again is a missing log.
      return call.name === 'L1' && !session!.truncated ? { name: call.name, size: String(modelFileSize.log) } : { err: -569 };
    }
    case 'READ_FILE': {
      const file = session!.file!;
      return file.eof ? { bytes: 0, offset: Number(file.size) } : { bytes: Number(file.size), offset: Number(file.size) };
    }
    case 'TRUNCATE_LOG':
      return v.kind === 'depends' && !session!.copied.includes('L1') ? { err: -616 } : {};
    default:
      return {};
  }
}

/** Actions left out of the traversal, with the reason (each is tested on its own). */
export function excluded(chart: ChartSnapshot, action: AbstractAction): string | undefined {
  const s = chart.context.session;
  if (action === 'OPEN_LOG' && s?.open && s.incremental && !s.rangesFixed) {
    return "an incremental opening a log before GetLogInfo: it opens if archived, else -569; which logs are archived is the fixture's history, not the model's (incremental-open-early.test.ts)";
  }
  return undefined;
}

/** One step of the model: the chart after `action` and the fixture's answer to it. */
export function modelStep(chart: ChartSnapshot, action: AbstractAction): ChartSnapshot {
  const call = concreteCall(action, chart.context.session, modelPaths);
  return feed(chart, call, call.type === 'STOP_BACKUP' ? {} : predict(chart, call));
}

/** The model's first state: a fresh instance with no session. */
export const modelStart = initialTransition(instanceBackup, { instance: '4096', facts: fixtureFacts })[0];

/** The chart plus the fixture's answers, as logic xstate/graph can traverse. */
export const testModel: TransitionActorLogic<ChartSnapshot, ActionEvent, unknown, EventObject> = fromTransition(
  (chart: ChartSnapshot, event: ActionEvent) => modelStep(chart, event.type),
  modelStart,
);

/**
 * A state of the traversal, for deduplication: what verdicts depend on (the chart's value, the facts,
 * the session's lists, open file and copies), not the record of how earlier sessions ended.
 */
export function serializeModelState(snapshot: { context: ChartSnapshot }): string {
  const { value, context } = snapshot.context;
  const s = context.session;
  const session = s?.open
    ? [
        s.incremental,
        s.rangesFixed,
        s.databases !== null,
        s.logs !== null,
        s.file && [s.file.kind, s.file.read, s.file.eof],
        s.copied.length,
      ]
    : null;
  return JSON.stringify([value, context.facts.incrementalBase, context.facts.backupNotAllowed, session]);
}

/** Every action as a traversal event. */
export const modelEvents: ActionEvent[] = abstractActions.map((type) => ({ type }));
