/**
 * Byte layout of ESE's files, as `dev/ese/src/inc/daedef.hxx` (DBFILEHDR), `logapi.hxx` (LGFILEHDR_FIXED,
 * CHECKPOINT_FIXED) and `cpage.hxx` (PGHDR, PGHDR2) lay them out. Every number is little-endian.
 * The engine writes with these constants and the verifiers read with them, so both agree by construction.
 */

/** `ulChecksum` seed and DBFILEHDR `le_ulMagic`: the XOR checksum of a header starts from this value. */
export const ESE_SIGNATURE = 0x89abcdef;

/** `JET_filetype` stored at {@link EseOffset.fileType} in every database, log and checkpoint header. */
export const EseFileType = {
  database: 1,
  log: 3,
  checkpoint: 4,
} as const;

/** One of the file types ESE stamps into a header. */
export type EseFileTypeName = keyof typeof EseFileType;

/** DBFILEHDR `le_ulVersion` of every database written by ESE since Windows XP / Exchange 2003. */
export const ESE_DATABASE_FORMAT_VERSION = 0x620;

/** DBFILEHDR `le_dbstate` (`JET_dbstate*` of `esent.h`): what the engine last did to the database. */
export const EseDatabaseState = {
  justCreated: 1,
  dirtyShutdown: 2,
  cleanShutdown: 3,
  beingConverted: 4,
  forceDetach: 5,
} as const;

/** Bytes of ESE's SIGNATURE (`le_ulRandom`, LOGTIME `logtimeCreate`, 16-byte computer name). */
export const ESE_SIGNATURE_SIZE = 28;

/** Bytes of a log or checkpoint header (`cbLogFileHeader`, `cbCheckpoint`): the span its XOR checksum covers. */
export const ESE_FILE_HEADER_SIZE = 4096;

/** Database page sizes ESE supports (`JET_paramDatabasePageSize`). */
export const ESE_PAGE_SIZES = [4096, 8192, 16384, 32768] as const;

/** The page size ESE assumes when a header stores 0 (`cbPage` of old databases and logs). */
export const ESE_DEFAULT_PAGE_SIZE = 4096;

/** Largest page that carries one checksum block; bigger pages carry four (`FIsSmallPage`). */
export const ESE_SMALL_PAGE_MAX = 8192;

/** PGHDR `fFlags` bit meaning the page uses the ECC ("new") checksum format (`fPageNewChecksumFormat`). */
export const PAGE_FLAG_NEW_CHECKSUM = 0x2000;

/** Byte offsets inside headers and pages. */
export const EseOffset = {
  /** u32 XOR checksum of a header, u64 XOR/ECC checksum of a data page. */
  checksum: 0,
  /** DBFILEHDR `le_ulMagic` (u32, {@link ESE_SIGNATURE}). */
  dbSignature: 4,
  /** DBFILEHDR `le_ulVersion` (u32, {@link ESE_DATABASE_FORMAT_VERSION}). */
  dbFormatVersion: 8,
  /** DBFILEHDR `le_dbstate` (u32, {@link EseDatabaseState}). */
  dbState: 52,
  /** DBFILEHDR `signLog` (SIGNATURE, 28 bytes): the log stream the database belongs to. */
  dbLogSignature: 108,
  /** DBFILEHDR `le_cbPageSize` (u32, 0 means 4096). */
  dbPageSize: 236,
  /** DBFILEHDR `le_lGenMinRequired` (i32): the oldest log generation a replay of this database needs. */
  dbGenMinRequired: 296,
  /** DBFILEHDR `le_lGenMaxRequired` (i32): the newest log generation a replay of this database needs. */
  dbGenMaxRequired: 300,
  /** `le_filetype` (u32, {@link EseFileType}), at the same offset in every header type. */
  fileType: 667,
  /** LGFILEHDR_FIXED `le_lGeneration` (i32). */
  logGeneration: 4,
  /** LGFILEHDR_FIXED `le_cbSec` (u16): bytes per sector. */
  logSectorSize: 8,
  /** LGFILEHDR_FIXED `le_csecHeader` (u16): sectors of the header. */
  logHeaderSectors: 10,
  /** LGFILEHDR_FIXED `le_csecLGFile` (u16): sectors of the whole log file. */
  logFileSectors: 12,
  /** LGFILEHDR_FIXED `le_cbPageSize` (u16): database page size, 0 means 4096. */
  logPageSize: 14,
  /** LGFILEHDR_FIXED `le_ulMajor`, `le_ulMinor`, `le_ulUpdateMajor` (u32 each). */
  logVersionMajor: 32,
  logVersionMinor: 36,
  logVersionUpdate: 40,
  /** LGFILEHDR_FIXED `signLog` (SIGNATURE, 28 bytes): the log stream's identity, shared by its databases. */
  logSignature: 44,
  /** CHECKPOINT_FIXED `le_lgposCheckpoint` (LGPOS: u16 ib, u16 isec, i32 lGeneration). */
  checkpointLgpos: 12,
  /** CHECKPOINT_FIXED `le_lgposCheckpoint.lGeneration` (i32): the checkpoint generation. */
  checkpointGeneration: 16,
  /** PGHDR `fFlags` (u32). */
  pageFlags: 36,
  /** PGHDR2 `rgChecksum[0..2]` (u64 each): checksums of blocks 1-3 of a 16/32 KiB page. */
  pageBlockChecksums: 40,
  /** PGHDR2 `pgno` (u32): the page number, stored only on 16/32 KiB pages. */
  largePagePgno: 64,
} as const;
