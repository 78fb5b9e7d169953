export {
  ESE_SIGNATURE,
  ESE_DATABASE_FORMAT_VERSION,
  ESE_FILE_HEADER_SIZE,
  ESE_PAGE_SIZES,
  ESE_DEFAULT_PAGE_SIZE,
  ESE_SMALL_PAGE_MAX,
  PAGE_FLAG_NEW_CHECKSUM,
  EseFileType,
  EseDatabaseState,
  EseOffset,
} from './ese-format.js';
export type { EseFileTypeName } from './ese-format.js';
export { headerChecksum, setHeaderChecksum, verifyHeaderChecksum } from './header-checksum.js';
export { dataPageChecksum, setDataPageChecksum, verifyDataPage } from './page-checksum.js';
export type { XeChecksum } from './page-checksum.js';
export { PageFault, describePageFault } from './data-page-fault.js';
export type { PageFaultCode } from './data-page-fault.js';
export { findBadPage } from './find-bad-page.js';
export { allocateBackupBuffer } from './page-checksum-wasm.js';
export { readEseFileHeader } from './ese-file-header.js';
export type { EseFileHeader, EseDatabaseHeader, EseLogHeader, EseCheckpointHeader, EseUnknownHeader } from './ese-file-header.js';
export { verifyEseBytes } from './verify-ese-bytes.js';
export type { VerifyEseBytesOptions, EseBadPage, EseVerifyReport } from './verify-ese-bytes.js';
