import type { StateValue } from 'xstate';

/**
 * Every state a snapshot is in, as dot paths from the root (`'backup.session.stop.stopped'`), the
 * compound and parallel states included, in document order of the value.
 *
 * @param value a snapshot's `value`, or the snapshot itself.
 * @returns the paths; empty for a machine that has no child states.
 * @example
 * activeStates({ backup: { session: { stop: 'stopped' } }, call: 'idle' })
 * // ['backup', 'backup.session', 'backup.session.stop', 'backup.session.stop.stopped', 'call', 'call.idle']
 */
export function activeStates(value: StateValue | { value: StateValue }): string[] {
  const v: StateValue =
    typeof value === 'object' && value !== null && 'value' in value && !isStateValue(value)
      ? (value.value as StateValue)
      : (value as StateValue);
  const out: string[] = [];
  const walk = (node: StateValue, prefix: string) => {
    if (typeof node === 'string') {
      out.push(prefix + node);
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      out.push(prefix + key);
      if (child !== undefined) walk(child, `${prefix}${key}.`);
    }
  };
  walk(v, '');
  return out;
}

/** A state value object has string or object children only; a snapshot has `status`, `context`, … too. */
function isStateValue(v: object): boolean {
  return !('status' in v) && !('context' in v);
}
