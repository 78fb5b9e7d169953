import type { AnyStateMachine, StateValue } from 'xstate';
import { activeStates } from './active-states.js';
import { chartGraph, type ChartEdge, type ChartGraph, type ChartState } from './chart-graph.js';
import { edgeScope } from './edge-scope.js';

/** Options of `toMermaid`. */
export interface MermaidOptions {
  /** A snapshot (or its value, or state paths) whose active states are highlighted. */
  active?: StateValue | { value: StateValue } | readonly string[];
  /** Show transition and entry/exit actions (default true). */
  actions?: boolean;
}

const keywords = new Set([
  'state',
  'note',
  'end',
  'direction',
  'class',
  'classDef',
  'style',
  'click',
  'as',
  'left',
  'right',
  'of',
  'hide',
  'accTitle',
  'accDescr',
]);
const text = (s: string) => s.replace(/"/g, "'").replace(/[;\n]/g, ',');

/**
 * Mermaid `stateDiagram-v2` source of a machine: compound states as blocks, parallel regions split
 * by `--`, `[*]` for initial and final states, transitions labelled `EVENT [guard] / actions`,
 * entry/exit actions, invokes and targetless transitions as descriptions (a note beside a block).
 * Mermaid puts a state in the block where it is last named, so each edge is written at the top of
 * the deepest block holding both its ends (`edgeScope`), before any state it names is declared.
 *
 * @param machine an xstate machine, or its `chartGraph`.
 * @param options.active highlight these states (class `active`).
 * @returns the diagram text, deterministic for a given machine.
 * @example
 * fs.writeFileSync('diagrams/instance-backup.mmd', toMermaid(instanceBackup));
 */
export function toMermaid(machine: AnyStateMachine | ChartGraph, options: MermaidOptions = {}): string {
  const graph = 'root' in machine && 'edges' in machine ? machine : chartGraph(machine);
  const showActions = options.actions !== false;
  const ids = new Map<string, string>();
  const used = new Set<string>();
  const id = (path: string): string => {
    const known = ids.get(path);
    if (known) return known;
    let base =
      path === ''
        ? graph.id.replace(/\W/g, '_')
        : path
            .split('.')
            .map((p) => p.replace(/\W/g, '_'))
            .join('__');
    if (keywords.has(base) || /^\d/.test(base)) base = `s_${base}`;
    let out = base;
    for (let n = 2; used.has(out); n++) out = `${base}_${n}`;
    used.add(out);
    ids.set(path, out);
    return out;
  };
  for (const path of graph.states.keys()) id(path);

  const label = (e: ChartEdge) => {
    const parts = [e.events.join('<br/>')];
    if (e.guard) parts.push(`[${e.guard}]`);
    if (showActions && e.actions.length) parts.push(`/ ${e.actions.join(', ')}`);
    return text(parts.join(' '));
  };
  const descriptions = (s: ChartState): string[] =>
    [
      ...(showActions && s.entry.length ? [`entry / ${s.entry.join(', ')}`] : []),
      ...(showActions && s.exit.length ? [`exit / ${s.exit.join(', ')}`] : []),
      ...s.invokes.map((inv) => `invoke ${inv}`),
      ...s.internal.map(label),
    ].map(text);

  // Edges grouped by the block (and region) they are written in; `null` is outside the root.
  const placed = new Map<string, ChartEdge[]>();
  for (const edge of graph.edges) {
    const where = edgeScope(graph, edge);
    // In a parallel block every edge opens the first region: it then precedes every declaration.
    const key = where === null ? '!top' : `${where.scope.path}|${where.region ? where.scope.children[0]!.path : ''}`;
    placed.set(key, [...(placed.get(key) ?? []), edge]);
  }
  const edgeLines = (key: string, pad: string) =>
    (placed.get(key) ?? []).map((e) => `${pad}${id(e.source)} --> ${id(e.target)} : ${label(e)}`);

  const declare = (s: ChartState, pad: string): string[] => {
    const name = s.type === 'history' ? (s.history === 'deep' ? 'H*' : 'H') : s.key;
    const head = `${pad}state "${text(name)}" as ${id(s.path)}`;
    if (s.children.length === 0) return [head, ...descriptions(s).map((d) => `${pad}${id(s.path)} : ${d}`)];
    // Mermaid refuses descriptions on a block: they go in a note beside it.
    const note = descriptions(s);
    const noted = note.length ? [`${pad}note right of ${id(s.path)}`, ...note.map((d) => `${pad}  ${d}`), `${pad}end note`] : [];
    return [`${head} {`, ...body(s, `${pad}  `), `${pad}}`, ...noted];
  };
  const body = (s: ChartState, pad: string): string[] => {
    if (s.type === 'parallel') {
      return s.children.flatMap((region, i) => [
        ...(i > 0 ? [`${pad}--`] : []),
        ...edgeLines(`${s.path}|${region.path}`, pad),
        ...declare(region, pad),
      ]);
    }
    return [
      ...edgeLines(`${s.path}|`, pad),
      ...(s.initial === null ? [] : [`${pad}[*] --> ${id(s.initial)}`]),
      ...s.children.flatMap((c) => declare(c, pad)),
      ...s.children.filter((c) => c.type === 'final').map((c) => `${pad}${id(c.path)} --> [*]`),
    ];
  };

  const lines = ['stateDiagram-v2', ...edgeLines('!top', '  '), ...declare(graph.root, '  ')];
  if (options.active !== undefined) {
    const active = Array.isArray(options.active) ? options.active : activeStates(options.active as StateValue);
    const leaves = active.filter((p) => graph.states.get(p)?.children.length === 0);
    lines.push('  classDef active fill:#ffe8cc,stroke:#d9480f,stroke-width:3px');
    if (leaves.length) lines.push(`  class ${leaves.map(id).join(',')} active`);
  }
  return `${lines.join('\n')}\n`;
}
