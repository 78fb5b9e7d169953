export { createCoordinator } from './create-coordinator.js';
export type {
  Coordinator,
  CoordinatorOptions,
  InstanceBackupSnapshot,
  InstanceState,
  SessionOptions,
  StopDelivery,
  StopReasonLike,
  StopRequest,
  StopWhenOptions,
} from './coordinator-types.js';
export { fromSignals, platformSignals } from './from-signals.js';
export type { FromSignalsOptions, SignalTarget } from './from-signals.js';
export { fromAbortSignal } from './from-abort-signal.js';
export { deadline } from './deadline.js';
export { fromEmitter } from './from-emitter.js';
export type { EventSource } from './from-emitter.js';
export { shutdownHook, shutdownExitCode } from './shutdown-hook.js';
export type { ShutdownHook, ShutdownHookOptions } from './shutdown-hook.js';
export { snapshotStream } from './snapshot-stream.js';
export { toStopReason } from './to-stop-reason.js';
export { SerialQueue } from './serial-queue.js';
export { instanceBackup, verdict } from '../../machines/index.js';
export type { BackupOutcome, BackupPolicy, EngineFacts, JetCall, StopReason, Verdict } from '../../machines/index.js';
