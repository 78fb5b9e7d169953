/**
 * Resolves with the first of `signals` the process receives (listeners removed then). While waiting,
 * those signals no longer end the process by themselves.
 *
 * @example
 * console.error('serving; Ctrl-C to exit'); await waitForSignal();
 */
export function waitForSignal(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, on);
      resolve(signal);
    };
    for (const s of signals) process.on(s, on);
  });
}
