import { crc32 } from 'node:zlib';

/** Kinds of log record the embedded engine writes. */
export const LogOp = { put: 1, delete: 2, attach: 3 } as const;
export type LogOpValue = (typeof LogOp)[keyof typeof LogOp];

/** One logged change. `lsn` orders every change of an instance; replay applies a record only over older state. */
export interface LogRecord {
  op: LogOpValue;
  dbid: number;
  lsn: number;
  /** put/delete: the key; attach: the database path. */
  key: string;
  /** put: the value; attach: the database signature (4 bytes). */
  value: Uint8Array;
}

/** Bytes before the body: total length (u32) and CRC-32 of the body (u32). */
export const RECORD_PREFIX = 8;
const BODY_HEADER = 12; // op, dbid, keyLen, lsn
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encode a record: [len u32][crc u32][op u8][dbid u8][keyLen u16][lsn f64][key][value]. */
export function encodeLogRecord(rec: LogRecord): Uint8Array {
  const key = encoder.encode(rec.key);
  const total = RECORD_PREFIX + BODY_HEADER + key.length + rec.value.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total, true);
  out[8] = rec.op;
  out[9] = rec.dbid;
  view.setUint16(10, key.length, true);
  view.setFloat64(12, rec.lsn, true);
  out.set(key, 20);
  out.set(rec.value, 20 + key.length);
  view.setUint32(4, crc32(out.subarray(RECORD_PREFIX)), true);
  return out;
}

export type DecodeResult = { record: LogRecord; size: number } | { end: true } | { corrupt: string };

/**
 * Decode the record at `offset` of a log image: `end` at a zero length (the unused, zero-filled tail),
 * `corrupt` when the length or checksum is wrong.
 */
export function decodeLogRecord(bytes: Uint8Array, offset: number): DecodeResult {
  if (offset + 4 > bytes.length) return { end: true };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = view.getUint32(offset, true);
  if (total === 0) return { end: true };
  if (total < RECORD_PREFIX + BODY_HEADER || offset + total > bytes.length) return { corrupt: `bad record length ${total} at ${offset}` };
  const body = bytes.subarray(offset + RECORD_PREFIX, offset + total);
  if (crc32(body) !== view.getUint32(offset + 4, true)) return { corrupt: `record checksum mismatch at ${offset}` };
  const op = body[0] as LogOpValue;
  if (op !== LogOp.put && op !== LogOp.delete && op !== LogOp.attach) return { corrupt: `unknown record type ${op} at ${offset}` };
  const keyLen = view.getUint16(offset + 10, true);
  if (BODY_HEADER + keyLen > body.length) return { corrupt: `bad key length at ${offset}` };
  const record: LogRecord = {
    op,
    dbid: body[1] as number,
    lsn: view.getFloat64(offset + 12, true),
    key: decoder.decode(body.subarray(BODY_HEADER, BODY_HEADER + keyLen)),
    value: new Uint8Array(body.subarray(BODY_HEADER + keyLen)), // a copy, never a view of the whole log image
  };
  return { record, size: total };
}
