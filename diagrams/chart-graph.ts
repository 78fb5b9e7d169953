import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { eventLabel } from './event-label.js';
import { implementationName } from './implementation-name.js';

/** A transition of a chart: one source, one target, the events that take it, its guard and actions. */
export interface ChartEdge {
  /** Dot path of the state that declares the transition (`''` is the root). */
  source: string;
  /** Dot path of the target; equal to `source` for a targetless (internal) transition. */
  target: string;
  /** Event labels (see `eventLabel`); transitions that differ only by event are merged. */
  events: string[];
  guard: string | null;
  actions: string[];
  /** Declared without a target: it runs actions and changes no state. */
  internal: boolean;
}

/** A state of a chart, with its children in document order. */
export interface ChartState {
  /** Dot path from the root (`''` for the root itself). */
  path: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** `'deep'` or `'shallow'` for a history state. */
  history: 'deep' | 'shallow' | null;
  /** Path of the initial child of a compound state. */
  initial: string | null;
  children: ChartState[];
  entry: string[];
  exit: string[];
  /** Invoked actors, as `src` or `src#id` when the id differs. */
  invokes: string[];
  /** Transitions without a target, shown inside the state. */
  internal: ChartEdge[];
}

/** A machine as plain data: its states and its transitions between states. */
export interface ChartGraph {
  id: string;
  root: ChartState;
  /** Transitions with a target, in document order. */
  edges: ChartEdge[];
  /** Every state by path. */
  states: ReadonlyMap<string, ChartState>;
}

const pathOf = (node: AnyStateNode) => node.path.join('.');

/**
 * Walk an xstate machine (its `root` state node) into a `ChartGraph`: compound, parallel, final and
 * history states, initial states, every transition (`on`, `always`, `after`, invoke `onDone` /
 * `onError`) with its guard and actions, entry/exit actions and invokes. Deterministic: the same
 * machine always gives the same graph.
 *
 * @param machine a machine made with `createMachine` / `setup().createMachine`.
 * @returns the graph; transitions from one source to one target that differ only in their event are
 *   merged into one edge.
 * @example
 * const graph = chartGraph(instanceBackup);
 * graph.states.get('backup.session')?.type // 'parallel'
 */
export function chartGraph(machine: AnyStateMachine): ChartGraph {
  const states = new Map<string, ChartState>();
  const edges: ChartEdge[] = [];
  const merged = new Map<string, ChartEdge>();

  const visit = (node: AnyStateNode): ChartState => {
    const path = pathOf(node);
    const internal: ChartEdge[] = [];
    const type = node.type as ChartState['type'];
    const initialTarget = type === 'compound' ? node.initial?.target?.[0] : undefined;
    const state: ChartState = {
      path,
      key: path === '' ? machine.id : node.key,
      type,
      history: type === 'history' ? (node.history === 'deep' ? 'deep' : 'shallow') : null,
      initial: initialTarget ? pathOf(initialTarget) : null,
      children: [],
      entry: node.entry.map(implementationName),
      exit: node.exit.map(implementationName),
      invokes: node.invoke.map((inv) => {
        const src = typeof inv.src === 'string' ? inv.src : implementationName(inv.src);
        return inv.id && inv.id !== src ? `${src}#${inv.id}` : src;
      }),
      internal,
    };
    states.set(path, state);
    const transitions = [...node.transitions.values()].flat().concat(node.always ?? []);
    for (const t of transitions) {
      const base = {
        source: path,
        events: [eventLabel(t.eventType)],
        guard: t.guard === undefined ? null : implementationName(t.guard),
        actions: t.actions.map(implementationName),
      };
      if (!t.target || t.target.length === 0) {
        addMerged(internal, { ...base, target: path, internal: true });
        continue;
      }
      for (const target of t.target) addMerged(edges, { ...base, target: pathOf(target), internal: false });
    }
    state.children = Object.values(node.states).map((child) => visit(child as AnyStateNode));
    return state;
  };

  function addMerged(list: ChartEdge[], edge: ChartEdge) {
    const key = JSON.stringify([edge.source, edge.target, edge.guard, edge.actions, edge.internal]);
    const existing = merged.get(key);
    if (existing) {
      for (const e of edge.events) if (!existing.events.includes(e)) existing.events.push(e);
      return;
    }
    merged.set(key, edge);
    list.push(edge);
  }

  const root = visit(machine.root);
  return { id: machine.id, root, edges, states };
}
