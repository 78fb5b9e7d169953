import type { InstanceBackupSnapshot } from '../coordinator/index.js';
import type { InstanceStatus } from './fleet-values.js';

/** The phase a fleet shows for a chart snapshot (see `InstanceStatus.phase`). */
export function instancePhase(snapshot: InstanceBackupSnapshot): InstanceStatus['phase'] {
  const { context } = snapshot;
  if (context.session?.open) return context.session.stopReason ? 'stopping' : 'running';
  const backup = (snapshot.value as { backup?: unknown }).backup;
  if (backup === 'serviceStopped' || backup === 'terminated') return backup;
  return context.outcome ? 'ended' : 'idle';
}

/**
 * Whether a session counts as started for the fleet: Begin is in flight or the session is open. A
 * stop reaching Begin in flight is deferred by the chart and applied when Begin succeeds.
 */
export function sessionStarted(snapshot: InstanceBackupSnapshot): boolean {
  return snapshot.context.calling === 'BEGIN_EXTERNAL_BACKUP' || snapshot.context.session?.open === true;
}
