import type { StopReason } from '../coordinator/index.js';

const names: Record<StopReason['source'], string> = {
  signal: 'signal',
  abort: 'AbortSignal',
  deadline: 'deadline',
  event: 'app event',
  manual: 'app',
  shutdown: 'shutdown',
  fleet: 'fleet',
};

/**
 * How the inspector names where a stop came from: `signal SIGTERM`, `AbortSignal (operator)`,
 * `deadline (30000 ms)`, `app event (stop)`, `app (JetStopBackupInstance)`, `shutdown`.
 *
 * @param reason the stop reason a chart recorded (`session.stopReason`) or a STOP_BACKUP carried;
 *   `undefined` is a stop without a reason, which the chart reads as a direct (app) call.
 * @example
 * stopSourceLabel({ source: 'abort', detail: 'operator', shutdown: false }) // 'AbortSignal (operator)'
 */
export function stopSourceLabel(reason: StopReason | null | undefined): string {
  if (!reason) return 'app';
  const name = names[reason.source] ?? reason.source;
  if (reason.detail === undefined || reason.detail === '') return name;
  return reason.source === 'signal' ? `${name} ${reason.detail}` : `${name} (${reason.detail})`;
}
