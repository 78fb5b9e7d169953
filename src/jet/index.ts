export { JET_err, JET_errDescription, jetErrName, jetErrDescription } from './jet-err.js';
export type { JetErrName, JetErrValue } from './jet-err.js';
export { JET_bit } from './jet-bit.js';
export type { JetBitName } from './jet-bit.js';
export { JET_instanceNil, JET_API_PTR_MAX } from './jet-types.js';
export type { JetInstance, JetHandle, JetGrbit } from './jet-types.js';
export { JetError, check, isJetError } from './jet-error.js';
export { JetApiName } from './jet-backup-api.js';
export type { JetBackupApi, JetBackupMethod, JetOpenFileResult, JetLogInfo } from './jet-backup-api.js';
