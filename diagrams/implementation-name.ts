/**
 * The name a chart shows for a guard or an action as xstate stores it: a string (`'stopBackup'`), an
 * object (`{ type: 'isReady', params }`), a built-in (`assign`, `raise`), a higher-order guard
 * (`and(a, b)`, `not(a)`) or an inline function (its name, else `inline`).
 *
 * @param implementation a guard or action from a machine definition.
 * @returns a short, stable label; literal parameters are shown (`answered(call=OPEN_FILE, errs=-521|-569)`),
 *   parameters computed from the event or context are not (they change with data, not with the chart).
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
  if (type !== undefined) {
    const name = type.startsWith('xstate.') ? type.slice('xstate.'.length) : type;
    const params = (implementation as { params?: unknown }).params;
    // Literal parameters are part of the chart (the ESE codes of `answered`); computed ones are data.
    return params !== null && typeof params === 'object' ? `${name}(${paramsLabel(params as Record<string, unknown>)})` : name;
  }
  if (typeof implementation === 'function') return typeof named.name === 'string' && named.name !== '' ? named.name : 'inline';
  return 'inline';
}

/** `key=value` pairs of literal parameters; arrays joined with `|`. */
function paramsLabel(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.map(String).join('|') : String(value)}`)
    .join(', ');
}
