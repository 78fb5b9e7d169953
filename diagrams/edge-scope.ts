import type { ChartEdge, ChartGraph, ChartState } from './chart-graph.js';

/** The path of the parent of `path` (`null` for the root). */
export function parentPath(path: string): string | null {
  if (path === '') return null;
  const i = path.lastIndexOf('.');
  return i < 0 ? '' : path.slice(0, i);
}

/** Whether `path` is `ancestor` or inside it. */
export function isWithin(path: string, ancestor: string): boolean {
  return ancestor === '' || path === ancestor || path.startsWith(`${ancestor}.`);
}

/**
 * The block in which a diagram must write `edge` so that neither end moves: the deepest state that
 * holds both ends strictly inside it. Mermaid puts a state in the block where it is first named, so
 * an edge written in a deeper block would pull its other end in; an edge from a state to its own
 * descendant is written in the state's parent block, never inside the state itself.
 *
 * @returns the scope state, and for a parallel scope the region the edge belongs to (the region
 *   holding its source), or `null` when the edge leaves the root itself (written outside it).
 * @example
 * edgeScope(graph, { source: 'backup.noSession', target: 'backup.session.phase.incremental', … })
 * // { scope: <backup>, region: null }
 */
export function edgeScope(graph: ChartGraph, edge: ChartEdge): { scope: ChartState; region: ChartState | null } | null {
  let lca = edge.source;
  while (!isWithin(edge.target, lca)) lca = parentPath(lca) ?? '';
  // Both ends strictly inside: an end that is the common ancestor itself needs the block above it.
  const scopePath = lca === edge.source || lca === edge.target ? parentPath(lca) : lca;
  if (scopePath === null) return null;
  const scope = graph.states.get(scopePath);
  if (!scope) throw new Error(`edgeScope: no state '${scopePath}' in ${graph.id}`);
  const region = scope.type === 'parallel' ? (scope.children.find((c) => isWithin(edge.source, c.path)) ?? null) : null;
  return { scope, region };
}
