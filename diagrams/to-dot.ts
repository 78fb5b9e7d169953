import type { AnyStateMachine, StateValue } from 'xstate';
import { activeStates } from './active-states.js';
import { chartGraph, type ChartEdge, type ChartGraph, type ChartState } from './chart-graph.js';
import { isWithin } from './edge-scope.js';

/** Options of `toDot`. */
export interface DotOptions {
  /** A snapshot (or its value, or state paths) whose active states are highlighted. */
  active?: StateValue | { value: StateValue } | readonly string[];
  /** Show transition and entry/exit actions (default true). */
  actions?: boolean;
}

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
const activeStyle = 'color="#d9480f", penwidth=2.5, fillcolor="#ffe8cc"';

/**
 * Graphviz DOT source of a machine: compound and parallel states as clusters (parallel regions
 * dashed), initial states as a dot, final states double-bordered, history states `H` / `H*`,
 * transitions labelled `EVENT [guard] / actions`, entry/exit actions, invokes and targetless
 * transitions inside their state. Edges to or from a compound state end at its border (`lhead` /
 * `ltail`); an edge from a state to its own descendant starts at the state's `any` marker.
 *
 * Every state's node or cluster has the SVG id `state:<path>` (`state:backup.session`), so a page
 * can highlight a snapshot's states without rendering again.
 *
 * @param machine an xstate machine, or its `chartGraph`.
 * @param options.active highlight these states in the output.
 * @returns DOT text, deterministic for a given machine.
 * @example
 * const svg = await renderSvg(toDot(instanceBackup, { active: actor.getSnapshot() }));
 */
export function toDot(machine: AnyStateMachine | ChartGraph, options: DotOptions = {}): string {
  const graph = 'root' in machine && 'edges' in machine ? machine : chartGraph(machine);
  const showActions = options.actions !== false;
  const active = new Set(
    options.active === undefined ? [] : Array.isArray(options.active) ? options.active : activeStates(options.active as StateValue),
  );
  const compound = (s: ChartState) => s.children.length > 0;
  const isRegion = (path: string) =>
    path !== '' && graph.states.get(path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '')?.type === 'parallel';
  const node = (path: string) => q(`s:${path}`);
  const anchor = (path: string) => q(`any:${path}`);
  const edgeText = (e: ChartEdge) =>
    [...e.events, ...(e.guard ? [`[${e.guard}]`] : []), ...(showActions && e.actions.length ? [`/ ${e.actions.join(', ')}`] : [])].join(
      '\n',
    );
  const details = (s: ChartState) => [
    ...(showActions && s.entry.length ? [`entry / ${s.entry.join(', ')}`] : []),
    ...(showActions && s.exit.length ? [`exit / ${s.exit.join(', ')}`] : []),
    ...s.invokes.map((inv) => `invoke ${inv}`),
    ...s.internal.map((e) => edgeText(e).replace(/\n/g, ' ')),
  ];
  // Anchors drawn visibly: compound states that are the source of an edge into themselves.
  const visibleAnchors = new Set(graph.edges.filter((e) => e.source !== e.target && isWithin(e.target, e.source)).map((e) => e.source));

  const lines: string[] = [];
  const emit = (s: ChartState, pad: string) => {
    const on = active.has(s.path);
    if (!compound(s)) {
      const shape =
        s.type === 'history'
          ? `shape=circle, label=${q(s.history === 'deep' ? 'H*' : 'H')}`
          : `label=${q([s.key, ...details(s)].join('\n'))}`;
      lines.push(
        `${pad}${node(s.path)} [id=${q(`state:${s.path}`)}, ${shape}${s.type === 'final' ? ', peripheries=2' : ''}${on ? `, ${activeStyle}` : ''}];`,
      );
      return;
    }
    const inner = `${pad}  `;
    const isRoot = s.path === '';
    if (!isRoot) {
      const region = isRegion(s.path);
      // A region is active whenever its parallel parent is: only other compound states are highlighted.
      const lit = on && !region;
      lines.push(`${pad}subgraph ${q(`cluster:${s.path}`)} {`);
      const label = [s.type === 'parallel' ? `${s.key} (parallel)` : s.key, ...details(s)].join('\n');
      lines.push(
        `${inner}id=${q(`state:${s.path}`)}; class=${q(region ? 'region' : 'compound')}; label=${q(label)}; style=${q(region ? 'dashed,rounded,filled' : 'rounded,filled')}; fillcolor=${q(lit ? '#fff4e6' : '#f8f9fa')}; color=${q(lit ? '#d9480f' : '#868e96')}; penwidth=${lit ? 2.5 : 1};`,
      );
    }
    const visible = visibleAnchors.has(s.path);
    lines.push(
      `${inner}${anchor(s.path)} [label=${q(visible ? 'any' : '')}, ${visible ? 'shape=plaintext, fontsize=9, width=0.3, height=0.2' : 'shape=point, style=invis, width=0.01, height=0.01'}];`,
    );
    if (s.initial !== null) {
      lines.push(`${inner}${q(`init:${s.path}`)} [shape=point, width=0.12, label=""];`);
    }
    // rankdir=LR stacks sibling clusters bottom-up: regions go in reverse so the first is on top.
    for (const child of s.type === 'parallel' ? [...s.children].reverse() : s.children) emit(child, inner);
    if (!isRoot) lines.push(`${pad}}`);
  };

  // An edge ends at a state's node, or at a compound state's anchor clipped to its border.
  const end = (path: string, other: string, head: boolean): [string, string] => {
    const s = graph.states.get(path)!;
    if (!compound(s)) return [node(path), ''];
    const clip = path !== '' && !isWithin(other, path) ? `, ${head ? 'lhead' : 'ltail'}=${q(`cluster:${path}`)}` : '';
    return [anchor(path), clip];
  };
  const edge = (source: string, target: string, attrs: string) => {
    const [from, tail] = end(source, target, false);
    const [to, head] = end(target, source, true);
    lines.push(`  ${from} -> ${to} [${attrs}${tail}${head}];`);
  };

  lines.push(`digraph ${q(graph.id)} {`);
  lines.push(
    `  graph [compound=true, newrank=true, rankdir=LR, nodesep=0.35, ranksep=0.45, fontname="Helvetica", fontsize=12, label=${q([graph.id, ...details(graph.root)].join('\n'))}, labelloc=t, id=${q('state:')}];`,
  );
  lines.push(
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#495057", fontname="Helvetica", fontsize=10, margin="0.12,0.05"];',
  );
  lines.push('  edge [fontname="Helvetica", fontsize=8, color="#495057", arrowsize=0.7];');
  emit(graph.root, '');
  for (const s of graph.states.values()) {
    if (s.initial === null) continue;
    const [to, head] = end(s.initial, s.path, true);
    lines.push(`  ${q(`init:${s.path}`)} -> ${to} [label=""${head}];`);
  }
  for (const e of graph.edges) edge(e.source, e.target, `label=${q(edgeText(e))}`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
