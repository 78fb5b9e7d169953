/**
 * The name a chart shows for a guard or an action as xstate stores it: a string (`'stopBackup'`), an
 * object (`{ type: 'isReady', params }`), a built-in (`assign`, `raise`), a higher-order guard
 * (`and(a, b)`, `not(a)`) or an inline function (its name, else `inline`).
 *
 * @param implementation a guard or action from a machine definition.
 * @returns a short, stable label (no parameters: they change with data, not with the chart).
 * @example
 * implementationName('stopBackup') // 'stopBackup'
 * implementationName(not('isReady')) // 'not(isReady)'
 */
export function implementationName(implementation: unknown): string {
  if (typeof implementation === 'string') return implementation;
  if (implementation === null || implementation === undefined) return 'none';
  const named = implementation as { type?: unknown; name?: unknown; guards?: unknown };
  const type = typeof named.type === 'string' ? named.type : undefined;
  if (Array.isArray(named.guards)) {
    const combinator = type?.replace(/^xstate\./, '') ?? (typeof named.name === 'string' && named.name !== '' ? named.name : 'guard');
    return `${combinator}(${named.guards.map(implementationName).join(', ')})`;
  }
  if (type !== undefined) return type.startsWith('xstate.') ? type.slice('xstate.'.length) : type;
  if (typeof implementation === 'function') return typeof named.name === 'string' && named.name !== '' ? named.name : 'inline';
  return 'inline';
}
