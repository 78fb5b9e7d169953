import {
  ESE_DEFAULT_PAGE_SIZE,
  ESE_FILE_HEADER_SIZE,
  ESE_PAGE_SIZES,
  ESE_SIGNATURE_SIZE,
  EseDatabaseState,
  EseFileType,
  EseOffset,
  type EseFileTypeName,
} from './ese-format.js';
import { headerChecksum } from './header-checksum.js';
import { readU16, readU32 } from './word-view.js';

/** Fields every header shares: its type and its XOR checksum, stored and computed. */
interface HeaderBase {
  /** `le_filetype` (u32 at 667) as a number. */
  fileTypeCode: number;
  /** Whether the stored checksum equals the computed one. */
  checksumOk: boolean;
  storedChecksum: number;
  /** `undefined` when the header is too damaged to say what span its checksum covers. */
  computedChecksum: number | undefined;
}

/** DBFILEHDR, the first page of a database (and its shadow, page 1). */
export interface EseDatabaseHeader extends HeaderBase {
  fileType: 'database';
  /** `le_ulMagic`, 0x89ABCDEF in every database. */
  signature: number;
  /** `le_ulVersion`, 0x620 for every current ESE. */
  formatVersion: number;
  /** `le_dbstate`: 1 just created, 2 dirty shutdown, 3 clean shutdown, … */
  state: number;
  /** Name of `state` in {@link EseDatabaseState}, or `undefined` for a value this package does not know. */
  stateName: keyof typeof EseDatabaseState | undefined;
  /** The page size: `le_cbPageSize`, 4096 when the header stores 0. */
  pageSize: number;
  /** `signLog` (28 bytes) as lower-case hex: the log stream the database belongs to; all zeros when not recorded. */
  logSignature: string;
  /** `le_lGenMinRequired`: the oldest log generation a replay of the database needs (0: not recorded). */
  genMinRequired: number;
  /** `le_lGenMaxRequired`: the newest log generation a replay of the database needs (0: not recorded). */
  genMaxRequired: number;
}

/** LGFILEHDR_FIXED, the first 4096 bytes of a log file. */
export interface EseLogHeader extends HeaderBase {
  fileType: 'log';
  /** `le_lGeneration`: the number in `edb00009.log`. */
  generation: number;
  /** `le_cbSec`: bytes per sector. */
  sectorSize: number;
  /** `le_csecLGFile`: the log file's size in sectors. */
  fileSectors: number;
  /** `le_cbPageSize`: the databases' page size, 4096 when the header stores 0. */
  pageSize: number;
  /** `le_ulMajor`.`le_ulMinor`.`le_ulUpdateMajor`, e.g. 8.4000.60. */
  version: { major: number; minor: number; update: number };
  /** `signLog` (28 bytes) as lower-case hex: the identity of the log stream; its databases carry the same. */
  logSignature: string;
}

/** CHECKPOINT_FIXED, the first 4096 bytes of a checkpoint file (a shadow copy follows). */
export interface EseCheckpointHeader extends HeaderBase {
  fileType: 'checkpoint';
  /** `le_lgposCheckpoint.lGeneration`: the oldest log generation recovery needs. */
  generation: number;
}

/** A header whose `le_filetype` is none of database, log, checkpoint. */
export interface EseUnknownHeader extends HeaderBase {
  fileType: 'unknown';
}

/** What {@link readEseFileHeader} finds. */
export type EseFileHeader = EseDatabaseHeader | EseLogHeader | EseCheckpointHeader | EseUnknownHeader;

const typeNames = new Map<number, EseFileTypeName>(
  (Object.keys(EseFileType) as EseFileTypeName[]).map((name) => [EseFileType[name], name]),
);
const stateNames = new Map<number, keyof typeof EseDatabaseState>(
  (Object.keys(EseDatabaseState) as Array<keyof typeof EseDatabaseState>).map((name) => [EseDatabaseState[name], name]),
);

/**
 * Parses the header at the start of a database, log or checkpoint file and checks its XOR checksum.
 *
 * ESE rule: every header stores `le_filetype` at offset 667 and its XOR checksum (seeded 0x89ABCDEF)
 * in the first u32, computed over the whole first page of a database and over the first 4096 bytes
 * of a log or checkpoint (reference §6).
 *
 * @param bytes the start of the file: at least 4096 bytes, and the whole first page of a database.
 * @throws RangeError when `bytes` is shorter than that.
 * @example
 * const h = readEseFileHeader(readFileSync('edb.chk'));
 * if (h.fileType === 'checkpoint' && h.checksumOk) console.log(h.generation);
 */
export function readEseFileHeader(bytes: Uint8Array): EseFileHeader {
  if (bytes.length < ESE_FILE_HEADER_SIZE) {
    throw new RangeError(`an ESE header needs ${ESE_FILE_HEADER_SIZE} bytes, got ${bytes.length}`);
  }
  const fileTypeCode = readU32(bytes, EseOffset.fileType);
  const fileType = typeNames.get(fileTypeCode) ?? 'unknown';
  const storedChecksum = readU32(bytes, EseOffset.checksum);
  if (fileType === 'database') {
    const stored = readU32(bytes, EseOffset.dbPageSize);
    const pageSize = stored === 0 ? ESE_DEFAULT_PAGE_SIZE : stored;
    const known = (ESE_PAGE_SIZES as readonly number[]).includes(pageSize);
    if (known && bytes.length < pageSize) {
      throw new RangeError(`a database header is one whole page: ${pageSize} bytes, got ${bytes.length}`);
    }
    const computedChecksum = known ? headerChecksum(bytes, pageSize) : undefined;
    const state = readU32(bytes, EseOffset.dbState);
    return {
      fileType,
      fileTypeCode,
      storedChecksum,
      computedChecksum,
      checksumOk: computedChecksum === storedChecksum,
      signature: readU32(bytes, EseOffset.dbSignature),
      formatVersion: readU32(bytes, EseOffset.dbFormatVersion),
      state,
      stateName: stateNames.get(state),
      pageSize,
      logSignature: signatureHex(bytes, EseOffset.dbLogSignature),
      genMinRequired: readU32(bytes, EseOffset.dbGenMinRequired) | 0,
      genMaxRequired: readU32(bytes, EseOffset.dbGenMaxRequired) | 0,
    };
  }
  const computedChecksum = headerChecksum(bytes, ESE_FILE_HEADER_SIZE);
  const base = { fileTypeCode, storedChecksum, computedChecksum, checksumOk: computedChecksum === storedChecksum };
  const i32 = (offset: number): number => readU32(bytes, offset) | 0;
  if (fileType === 'log') {
    return {
      fileType,
      ...base,
      generation: i32(EseOffset.logGeneration),
      sectorSize: readU16(bytes, EseOffset.logSectorSize),
      fileSectors: readU16(bytes, EseOffset.logFileSectors),
      pageSize: readU16(bytes, EseOffset.logPageSize) || ESE_DEFAULT_PAGE_SIZE,
      version: {
        major: readU32(bytes, EseOffset.logVersionMajor),
        minor: readU32(bytes, EseOffset.logVersionMinor),
        update: readU32(bytes, EseOffset.logVersionUpdate),
      },
      logSignature: signatureHex(bytes, EseOffset.logSignature),
    };
  }
  if (fileType === 'checkpoint') return { fileType, ...base, generation: i32(EseOffset.checkpointGeneration) };
  return { fileType: 'unknown', ...base };
}

/** A SIGNATURE field as lower-case hex (56 digits). */
function signatureHex(bytes: Uint8Array, offset: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, ESE_SIGNATURE_SIZE).toString('hex');
}

/** Whether a SIGNATURE read by {@link readEseFileHeader} was recorded at all (not all zeros). */
export function isSignatureRecorded(hex: string): boolean {
  return /[1-9a-f]/.test(hex);
}
