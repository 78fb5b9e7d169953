// The backup layer's public part: run a backup into a set, verify sets and single ESE files, list, restore, clean.
export { runBackup } from './run-backup.js';
export type { RunBackupOptions, BackupResult, BackupRun } from './run-backup.js';
export type { BackupPhase, BackupProgress, BackupOutcomeKind } from './backup-progress.js';
export { verifyBackupSet } from './verify-backup-set.js';
export type {
  BackupSetReport,
  BackupSetProblem,
  BackupSetProblemKind,
  BackupSetFileCheck,
  VerifyBackupSetOptions,
} from './verify-backup-set.js';
export { readSignKey, signManifest, checkManifestSignature } from './manifest-signature.js';
export type { ManifestSignatureCheck } from './manifest-signature.js';
export { openSetFile, readSetTextFile, SetFileError, MAX_MANIFEST_BYTES } from './open-set-file.js';
export { verifyEseFile } from './verify-ese-file.js';
export type { EseFileVerification, VerifyEseFileOptions } from './verify-ese-file.js';
export { EseFileVerifier } from './ese-file-verifier.js';
export type { EseFileVerifierOptions } from './ese-file-verifier.js';
export type { EseFileReport, EseBadPage } from './ese-file-report.js';
export { listBackupSets } from './list-backup-sets.js';
export type { BackupSetListing, ListBackupSetsOptions } from './list-backup-sets.js';
export { nodeCleanFs } from './clean-fs.js';
export type { CleanFs } from './clean-fs.js';
export { restoreBackupSet, BackupSetRestoreError } from './restore-backup-set.js';
export type { RestoreBackupSetOptions, RestoreReport } from './restore-backup-set.js';
export type { RestoreFs } from './restore-fs.js';
export { restoreEsentBackupSet } from './restore-esent-backup-set.js';
export type { EsentRestoreReport, RestoreEsentBackupSetOptions } from './restore-esent-backup-set.js';
export { cleanOrphans } from './clean-orphans.js';
export type { OrphanReport, OrphanSession, OrphanCleanFailure, CleanOrphansOptions } from './clean-orphans.js';
export { BackupSetWriter, BackupSetBusyError } from './backup-set-writer.js';
export type { BackupSetWriterOptions } from './backup-set-writer.js';
export type { BackupFileSink } from './backup-file-sink.js';
export {
  MANIFEST_NAME,
  MANIFEST_SIGNATURE_FILE,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  parseBackupManifest,
  serializeBackupManifest,
} from './backup-manifest.js';
export type { BackupManifest, BackupManifestFile, ParsedBackupManifest } from './backup-manifest.js';
export { manifestDigestAlgorithm, manifestFileDigest } from './backup-manifest.js';
export {
  Blake3UnavailableError,
  newSetDigest,
  digestLabel,
  isFileDigestAlgorithm,
  FILE_DIGEST_ALGORITHMS,
  BLAKE3_PACKAGE,
} from './file-digest.js';
export type { FileDigestAlgorithm } from './file-digest.js';
export { readBackupLock } from './backup-lock.js';
export type { BackupLock } from './backup-lock.js';
export { nodeBackupFs } from './backup-fs.js';
export type { BackupFs, BackupFileHandle } from './backup-fs.js';
export { nodeVerifyFs } from './verify-fs.js';
export type { VerifyFs, VerifyFileHandle } from './verify-fs.js';
