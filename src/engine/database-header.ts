import { setHeaderChecksum, verifyHeaderChecksum } from './format/page-checksum.js';
import { DbState, Layout } from './engine-layout.js';

/** The fields the embedded engine keeps in a database header (page 0 and its shadow, page 1). */
export interface DatabaseHeader {
  pageSize: number;
  state: number;
  /** Random identity of the database: logs name it in their attach tables. */
  dbSignature: number;
  /** Pages on disk after the last flush (data pages 1..lastPgno). */
  lastPgno: number;
  /** Highest change (lsn) whose page is on disk. */
  flushedLsn: number;
  /** Trailer only: the oldest log generation a restore of this copy needs. */
  genRequired: number;
  /** 0 for a header page, 1 for a backup trailer page. */
  trailer: number;
  /**
   * Trailer only: ESE's DBFILEHDR `signLog` (its `le_ulRandom`), `le_lGenMinRequired` and
   * `le_lGenMaxRequired` at ESE's offsets, so a verifier reading ESE's layout can tie the copy to its logs.
   */
  eseRecovery?: { logSignature: number; genMinRequired: number; genMaxRequired: number };
}

const ext = {
  dbSignature: Layout.offExt,
  lastPgno: Layout.offExt + 4,
  flushedLsn: Layout.offExt + 8,
  genRequired: Layout.offExt + 16,
  trailer: Layout.offExt + 20,
} as const;

/** Write a checksummed ESE database header page (signature, format 0x620, state, page size, file type 1). */
export function writeDatabaseHeader(page: Uint8Array, h: DatabaseHeader): void {
  page.fill(0);
  const v = new DataView(page.buffer, page.byteOffset, page.byteLength);
  v.setUint32(Layout.offSignature, Layout.signature, true);
  v.setUint32(Layout.offFormatVersion, Layout.formatVersion, true);
  v.setUint32(Layout.offDbState, h.state, true);
  v.setUint32(Layout.offDbPageSize, h.pageSize, true);
  v.setUint32(Layout.offFileType, Layout.fileType.database, true);
  v.setUint32(Layout.offMagic, Layout.magic, true);
  v.setUint32(ext.dbSignature, h.dbSignature, true);
  v.setUint32(ext.lastPgno, h.lastPgno, true);
  v.setFloat64(ext.flushedLsn, h.flushedLsn, true);
  v.setUint32(ext.genRequired, h.genRequired, true);
  v.setUint32(ext.trailer, h.trailer, true);
  if (h.eseRecovery) {
    v.setUint32(Layout.offDbSignLog, h.eseRecovery.logSignature, true);
    v.setInt32(Layout.offDbGenMinRequired, h.eseRecovery.genMinRequired, true);
    v.setInt32(Layout.offDbGenMaxRequired, h.eseRecovery.genMaxRequired, true);
  }
  setHeaderChecksum(page);
}

/** Read a database header page; undefined when it is not one of ours or its checksum fails. */
export function readDatabaseHeader(page: Uint8Array): DatabaseHeader | undefined {
  if (page.length < Layout.headerSize) return undefined;
  const v = new DataView(page.buffer, page.byteOffset, page.byteLength);
  if (v.getUint32(Layout.offSignature, true) !== Layout.signature) return undefined;
  if (v.getUint32(Layout.offMagic, true) !== Layout.magic) return undefined;
  if (!verifyHeaderChecksum(page)) return undefined;
  return {
    pageSize: v.getUint32(Layout.offDbPageSize, true),
    state: v.getUint32(Layout.offDbState, true),
    dbSignature: v.getUint32(ext.dbSignature, true),
    lastPgno: v.getUint32(ext.lastPgno, true),
    flushedLsn: v.getFloat64(ext.flushedLsn, true),
    genRequired: v.getUint32(ext.genRequired, true),
    trailer: v.getUint32(ext.trailer, true),
  };
}

export { DbState };
