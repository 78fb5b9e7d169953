export { createEmbeddedEngine } from './embedded-engine.js';
export { allocateBackupBuffer } from './format/page-checksum-wasm.js';
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
} from './embedded-engine-api.js';
export { INSTANCE_LOCK_FILE, readInstanceLockHolder, type InstanceLockHolder } from './instance-lock.js';
