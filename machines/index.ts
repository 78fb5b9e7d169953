export { instanceBackup } from './instance-backup.js';
export { verdict } from './backup-verdict.js';
export type { Verdict, VerdictSnapshot } from './backup-verdict.js';
export { endOutcome, everythingCopied, isValidEndGrbit } from './session-record.js';
export { jetValues, instanceNil } from './jet-values.js';
export type {
  BackupOutcome,
  BackupPolicy,
  EngineFacts,
  InstanceBackupContext,
  InstanceBackupEvent,
  InstanceBackupInput,
  JetCall,
  JetCallDone,
  JetCallError,
  JetCallName,
  OpenFileRecord,
  SessionRecord,
  StopReason,
} from './instance-backup-types.js';
