import { setHeaderChecksum, verifyHeaderChecksum } from './format/page-checksum.js';
import { Layout } from './engine-layout.js';

/** A database attached to the instance when a log was started: logs name databases by dbid. */
export interface LogAttachment {
  dbid: number;
  dbSignature: number;
  path: string;
}

/** The 4096-byte header of an embedded-engine log file, laid out like ESE's (generation at 4, type 3 at 667). */
export interface LogFileHeader {
  generation: number;
  /** The log file's size in bytes (ESE keeps it in sectors at offset 12). */
  fileSize: number;
  pageSize: number;
  /** Random identity of the instance's log stream: logs of another instance do not replay here. */
  logSignature: number;
  attachments: LogAttachment[];
}

const SECTOR_SIZE = 4096;
const ext = { logSignature: Layout.offExt, count: Layout.offExt + 4, entries: Layout.offExt + 8 } as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encode a checksummed log header. */
export function encodeLogFileHeader(h: LogFileHeader): Uint8Array {
  const out = new Uint8Array(Layout.headerSize);
  const v = new DataView(out.buffer);
  v.setInt32(Layout.offLogGeneration, h.generation, true);
  v.setUint16(Layout.offLogSectorSize, SECTOR_SIZE, true);
  v.setUint16(Layout.offLogFileSectors, Math.min(0xffff, Math.ceil(h.fileSize / SECTOR_SIZE)), true);
  v.setUint16(Layout.offLogPageSize, h.pageSize, true);
  v.setUint16(Layout.offLogPageSizeReference, h.pageSize, true);
  v.setUint32(Layout.offFileType, Layout.fileType.log, true);
  v.setUint32(Layout.offMagic, Layout.magic, true);
  v.setUint32(ext.logSignature, h.logSignature, true);
  // ESE's LGFILEHDR signLog.le_ulRandom too, so a reader of ESE's layout sees which stream the log belongs to.
  v.setUint32(Layout.offLogSignLog, h.logSignature, true);
  v.setUint16(ext.count, h.attachments.length, true);
  let off: number = ext.entries;
  for (const a of h.attachments) {
    const path = encoder.encode(a.path);
    if (off + 7 + path.length > out.length) throw new RangeError('too many attached databases to name in a log header');
    out[off] = a.dbid;
    v.setUint32(off + 1, a.dbSignature, true);
    v.setUint16(off + 5, path.length, true);
    out.set(path, off + 7);
    off += 7 + path.length;
  }
  setHeaderChecksum(out);
  return out;
}

/** Decode a log header; undefined when the checksum, file type or our magic is wrong. */
export function decodeLogFileHeader(bytes: Uint8Array): LogFileHeader | undefined {
  if (bytes.length < Layout.headerSize) return undefined;
  const head = bytes.subarray(0, Layout.headerSize);
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (!verifyHeaderChecksum(head)) return undefined;
  if (v.getUint32(Layout.offFileType, true) !== Layout.fileType.log || v.getUint32(Layout.offMagic, true) !== Layout.magic)
    return undefined;
  const attachments: LogAttachment[] = [];
  let off: number = ext.entries;
  for (let i = v.getUint16(ext.count, true); i > 0; i--) {
    const len = v.getUint16(off + 5, true);
    attachments.push({
      dbid: head[off] as number,
      dbSignature: v.getUint32(off + 1, true),
      path: decoder.decode(head.subarray(off + 7, off + 7 + len)),
    });
    off += 7 + len;
  }
  return {
    generation: v.getInt32(Layout.offLogGeneration, true),
    fileSize: v.getUint16(Layout.offLogFileSectors, true) * SECTOR_SIZE,
    pageSize: v.getUint16(Layout.offLogPageSize, true),
    logSignature: v.getUint32(ext.logSignature, true),
    attachments,
  };
}
