// The package root: what a user needs, grouped, and nothing else. Each layer's own index.ts serves the
// layers below it; internals (queues, codecs, prototype tables, page helpers) stay there.
// test/public-api.test.ts pins this list, so a change to it is deliberate.

// The vocabulary: ESE's codes and grbits, its one error type, and the interface every backend implements.
export { JET_err, JET_bit, JET_instanceNil, jetErrName, jetErrDescription, JetError, isJetError, check, JetApiName } from './jet/index.js';
export type {
  JetErrName,
  JetErrValue,
  JetBitName,
  JetInstance,
  JetHandle,
  JetGrbit,
  JetBackupApi,
  JetBackupMethod,
  JetOpenFileResult,
  JetLogInfo,
} from './jet/index.js';

// Backends: the embedded engine (the default and the test oracle) and esent.dll through koffi.
export { createEmbeddedEngine, allocateBackupBuffer } from './engine/index.js';
export type {
  EmbeddedEngine,
  EmbeddedDatabase,
  EmbeddedInstanceInfo,
  EngineBackupEnd,
  EngineBackupRecord,
  EngineFault,
  InstanceOptions,
  PageSize,
  RestoredInstance,
} from './engine/index.js';
export { createEsentBackend, EsentLoadError, JET_param } from './esent/index.js';
export type { EsentBackend, EsentLoadErrorCode, EsentLibraryOptions } from './esent/index.js';

// The statechart: which calls ESE still allows, as data.
export { instanceBackup, verdict } from '../machines/index.js';
export type {
  BackupOutcome,
  BackupPolicy,
  EngineFacts,
  InstanceBackupContext,
  InstanceBackupEvent,
  InstanceBackupInput,
  JetCall,
  SessionRecord,
  StopReason,
  Verdict,
  VerdictSnapshot,
} from '../machines/index.js';

// Coordinating and stopping: guarded sessions per instance, stop sources, the shutdown hook.
export {
  createCoordinator,
  fromSignals,
  platformSignals,
  fromAbortSignal,
  deadline,
  fromEmitter,
  shutdownHook,
  shutdownExitCode,
} from './coordinator/index.js';
export type {
  Coordinator,
  CoordinatorOptions,
  InstanceBackupSnapshot,
  InstanceState,
  SessionOptions,
  StopReasonLike,
  StopWhenOptions,
  FromSignalsOptions,
  SignalTarget,
  EventSource,
  ShutdownHook,
  ShutdownHookOptions,
} from './coordinator/index.js';

// Backup sets: run, verify, list, restore, clean.
export {
  runBackup,
  verifyBackupSet,
  verifyEseFile,
  EseFileVerifier,
  listBackupSets,
  restoreBackupSet,
  restoreEsentBackupSet,
  BackupSetRestoreError,
  cleanOrphans,
  BackupSetBusyError,
  MANIFEST_NAME,
  parseBackupManifest,
} from './backup/index.js';
export type {
  RunBackupOptions,
  BackupResult,
  BackupRun,
  BackupPhase,
  BackupProgress,
  BackupOutcomeKind,
  BackupSetReport,
  BackupSetProblem,
  BackupSetProblemKind,
  BackupSetFileCheck,
  EseFileVerification,
  EseFileVerifierOptions,
  EseFileReport,
  EseBadPage,
  BackupSetListing,
  RestoreBackupSetOptions,
  RestoreReport,
  RestoreEsentBackupSetOptions,
  EsentRestoreReport,
  OrphanReport,
  OrphanSession,
  BackupManifest,
  BackupManifestFile,
  ParsedBackupManifest,
  FileDigestAlgorithm,
} from './backup/index.js';

// Watching: the loopback live inspector and its timeline.
export { createInspector, createTimeline, allowedCalls } from './inspect/index.js';
export type {
  Inspector,
  InspectorOptions,
  Timeline,
  TimelineOptions,
  TimelineEntry,
  TimelineKind,
  InspectorData,
  InstanceView,
  CallVerdict,
} from './inspect/index.js';

// The fleet: stop, hold and watch coordinators on many hosts through NATS JetStream KV.
export {
  joinFleet,
  connectFleet,
  fromFleet,
  fleetStatus,
  fleetStop,
  fleetHold,
  fleetRelease,
  FleetConnectError,
  FleetConflictError,
} from './fleet/index.js';
export type {
  FleetMember,
  JoinFleetOptions,
  FleetConnectOptions,
  FleetConnection,
  FromFleetOptions,
  FleetStatus,
  FleetInstanceRow,
  FleetStopOptions,
  FleetStopResult,
  FleetStopAck,
  FleetHoldOptions,
  FleetTarget,
  InstanceStatus,
  DesiredStop,
  DesiredHold,
  AppliedStop,
} from './fleet/index.js';
