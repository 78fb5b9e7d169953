/**
 * The label a chart shows for a transition's event type: xstate's internal event names become what
 * the machine's author wrote (`after: { 1000 }`, `onDone`, `onError`, `always`).
 *
 * @param eventType `TransitionDefinition.eventType` (`''` or `null` for an eventless transition).
 * @returns `'always'`, `'after 1000 ms'`, `'done: <invoke id>'`, `'error: <invoke id>'`, `'done'`
 *   (a compound state reached its final state), or the event type itself.
 * @example
 * eventLabel('xstate.after.1000.machine.waiting') // 'after 1000 ms'
 */
export function eventLabel(eventType: string | null | undefined): string {
  if (!eventType) return 'always';
  const after = /^xstate\.after\.(\d+)\./.exec(eventType);
  if (after) return `after ${after[1]} ms`;
  if (eventType.startsWith('xstate.done.actor.')) return `done: ${eventType.slice('xstate.done.actor.'.length)}`;
  if (eventType.startsWith('xstate.error.actor.')) return `error: ${eventType.slice('xstate.error.actor.'.length)}`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  return eventType;
}
