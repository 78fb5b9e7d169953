/**
 * Where the embedded engine keeps its own fields inside ESE-shaped files. ESE's fixed offsets
 * (signature, format version, state, page size, file type, log generation) are honoured so that one
 * verifier reads our files and Windows' alike; our fields live in a block at offset 1024 of the
 * checksummed header, which ESE's readers ignore.
 */
export const Layout = {
  headerSize: 4096,
  signature: 0x89abcdef,
  formatVersion: 0x620,
  fileType: { database: 1, log: 3, checkpoint: 4 },
  // ESE offsets (reference §6)
  offSignature: 4,
  offFormatVersion: 8,
  offDbState: 52,
  offDbPageSize: 236,
  offFileType: 667,
  offLogGeneration: 4,
  offLogSectorSize: 8,
  offLogFileSectors: 12,
  /** ESE's le_cbPageSize (real logs: offset 14). The reference names 16, so the engine writes both. */
  offLogPageSize: 14,
  offLogPageSizeReference: 16,
  /** LGFILEHDR signLog.le_ulRandom (the rest of ESE's 28-byte SIGNATURE stays zero). */
  offLogSignLog: 44,
  /** DBFILEHDR signLog.le_ulRandom, le_lGenMinRequired, le_lGenMaxRequired (written in backup trailers). */
  offDbSignLog: 108,
  offDbGenMinRequired: 296,
  offDbGenMaxRequired: 300,
  // Our block
  offMagic: 1024,
  magic: 0x42455345, // 'ESEB'
  offExt: 1028,
} as const;

/** Database states at header offset 52, as ESE numbers them. */
export const DbState = { justCreated: 1, dirtyShutdown: 2, cleanShutdown: 3 } as const;

/** Data page header: 40 bytes up to 8 KiB pages, 80 bytes for 16 and 32 KiB (ESE's large-page header). */
export function pageHeaderSize(pageSize: number): number {
  return pageSize >= 16384 ? 80 : 40;
}

/** Page header fields the engine uses (ESE's PGHDR). */
export const PageField = {
  dbtimeLow: 8,
  dbtimeHigh: 12,
  pgnoPrev: 16,
  pgnoNext: 20,
  objidFDP: 24,
  cbFree: 28,
  /** Bytes of the record area in use. */
  ibMicFree: 32,
  /** Offset in the record area where the first record starting on this page begins (0xffff: none). */
  itagMicFree: 34,
  flags: 36,
  largePgno: 64,
} as const;

/** Flag 0x2000: the page uses ESE's new (ECC) checksum format. Leaf 0x2 so ESE tools read it as data. */
export const PAGE_FLAGS = 0x2000 | 0x2;
export const NO_RECORD_START = 0xffff;
