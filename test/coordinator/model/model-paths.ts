import { fromTransition, type EventObject, type TransitionActorLogic } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import type { AbstractAction } from './abstract-action.js';
import { excluded, modelEvents, modelStart, modelStep, serializeModelState, testModel, type ActionEvent } from './test-model.js';

type ChartSnapshot = typeof modelStart;
const actionsOf = (steps: Array<{ event: EventObject }>) =>
  steps.map((s) => s.event.type).filter((t): t is AbstractAction => t !== 'xstate.init');

/** Drop every path that is a prefix of another: the longer run checks all of its steps. */
export function maximalPaths(paths: AbstractAction[][]): AbstractAction[][] {
  const prefixes = new Set<string>();
  for (const p of paths) for (let i = 1; i < p.length; i++) prefixes.add(p.slice(0, i).join(' '));
  return paths.filter((p) => p.length > 0 && !prefixes.has(p.join(' ')));
}

/** xstate/graph's shortest path to every state of the model, over every action. */
export function shortestActionPaths(): AbstractAction[][] {
  return getShortestPaths(testModel, {
    events: modelEvents,
    serializeState: (s) => serializeModelState(s),
    filterEvents: (s, e) => excluded(s.context, e.type) === undefined,
  }).map((p) => actionsOf(p.steps));
}

/** The actions of a backup session: the alphabet of the simple paths. */
export const sessionActions: readonly AbstractAction[] = [
  'BEGIN',
  'BEGIN_INCREMENTAL',
  'GET_ATTACH_INFO',
  'OPEN_DB',
  'READ',
  'CLOSE',
  'GET_LOG_INFO',
  'GET_TRUNCATE_LOG_INFO',
  'OPEN_LOG',
  'TRUNCATE_LOG',
  'END_NORMAL',
  'END_ABORT',
  'STOP',
];

/**
 * xstate/graph's simple paths (no state twice) of at most `depth` steps over `sessionActions`.
 * The model carries its BFS depth and stops offering events at `depth`; getAdjacencyMap explores
 * breadth-first, so that depth is the distance and the capped graph holds every such path.
 */
export function simpleActionPaths(depth: number): AbstractAction[][] {
  const events = modelEvents.filter((e) => sessionActions.includes(e.type));
  const logic: TransitionActorLogic<{ chart: ChartSnapshot; depth: number }, ActionEvent, unknown, EventObject> = fromTransition(
    (s: { chart: ChartSnapshot; depth: number }, e: ActionEvent) => ({ chart: modelStep(s.chart, e.type), depth: s.depth + 1 }),
    { chart: modelStart, depth: 0 },
  );
  return getSimplePaths(logic, {
    serializeState: (s) => serializeModelState({ context: s.context.chart }),
    events: (s) => (s.context.depth >= depth ? [] : events),
    filterEvents: (s, e) => excluded(s.context.chart, e.type) === undefined,
  })
    .map((p) => actionsOf(p.steps))
    .filter((p) => p.length <= depth);
}
