import fs from 'node:fs';
import { promisify } from 'node:util';
import { randomInt } from 'node:crypto';
import { JET_err, JetError } from '../jet/index.js';
import { setDataPageChecksum, verifyDataPage } from './format/page-checksum.js';
import { NO_RECORD_START, PAGE_FLAGS, PageField, pageHeaderSize } from './engine-layout.js';
import { DbState, readDatabaseHeader, writeDatabaseHeader } from './database-header.js';
import { encodeStreamRecord, REC_HEADER, RecordStreamParser, type StreamRecord } from './record-stream.js';
import { LogOp } from './log-record.js';

const fdatasync = promisify(fs.fdatasync);

/** A key's latest change: its value, or undefined once deleted (kept so replay cannot resurrect it). */
export interface IndexEntry {
  lsn: number;
  value: Uint8Array | undefined;
}

/**
 * One database file of the embedded engine: ESE-shaped pages (header, shadow, checksummed data pages)
 * holding a record stream, an in-memory index of the latest change per key, and the pages changed
 * since the last flush. Pages reach the file only at a checkpoint (`flush`), after their log records
 * are durable. Page I/O is synchronous so that a backup read never sees a page half written.
 */
export class DatabaseFile {
  readonly index = new Map<string, IndexEntry>();
  private readonly dirty = new Map<number, Uint8Array>();
  private readonly headerSize: number;
  private readonly areaSize: number;
  private streamEnd = 0;
  private maxLsnSeen = 0;
  private live = 0;

  private constructor(
    readonly path: string,
    readonly dbid: number,
    readonly dbSignature: number,
    readonly pageSize: number,
    private fd: number,
    private lastPgno: number,
  ) {
    this.headerSize = pageHeaderSize(pageSize);
    this.areaSize = pageSize - this.headerSize;
  }

  /** Create a new database file (JET_errDatabaseDuplicate when it exists). */
  static create(path: string, dbid: number, pageSize: number): DatabaseFile {
    let fd: number;
    try {
      fd = fs.openSync(path, 'wx+');
    } catch (e) {
      throw fileError('JetCreateDatabase', e, path);
    }
    const db = new DatabaseFile(path, dbid, randomInt(1, 0xffffffff), pageSize, fd, 0);
    db.writeHeader(DbState.justCreated);
    return db;
  }

  /** Open an existing database file and rebuild its index from its pages. */
  static open(path: string, dbid: number, api = 'JetAttachDatabase'): DatabaseFile {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r+');
    } catch (e) {
      throw fileError(api, e, path);
    }
    try {
      const first = Buffer.alloc(65536);
      fs.readSync(fd, first, 0, first.length, 0);
      const p = new DataView(first.buffer).getUint32(236, true) || 4096;
      const sizeOk = p === 4096 || p === 8192 || p === 16384 || p === 32768;
      const header = sizeOk ? (readDatabaseHeader(first.subarray(0, p)) ?? readDatabaseHeader(first.subarray(p, 2 * p))) : undefined;
      if (!header || header.trailer)
        throw new JetError(api, JET_err.DatabaseCorrupted, { file: path, detail: 'no valid database header or shadow' });
      const size = fs.fstatSync(fd).size;
      const pages = Math.max(0, Math.floor(size / header.pageSize) - 2);
      const db = new DatabaseFile(path, dbid, header.dbSignature, header.pageSize, fd, pages);
      db.scan();
      return db;
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  private scan(): void {
    const P = this.pageSize;
    const parser = new RecordStreamParser(this.headerSize, this.areaSize, (r) => this.applyScanned(r));
    const chunk = Buffer.alloc(P * 256);
    for (let pgno = 1; pgno <= this.lastPgno;) {
      const n = Math.min(256, this.lastPgno - pgno + 1);
      fs.readSync(this.fd, chunk, 0, n * P, (pgno + 1) * P);
      for (let i = 0; i < n; i++, pgno++) {
        const page = chunk.subarray(i * P, (i + 1) * P);
        if (!verifyDataPage(page, pgno)) {
          throw new JetError('JetAttachDatabase', JET_err.ReadVerifyFailure, {
            file: this.path,
            detail: `page ${pgno} fails its checksum`,
          });
        }
        parser.page(page, pgno);
      }
    }
    this.streamEnd = parser.streamEnd;
  }

  private applyScanned(r: StreamRecord): void {
    this.setEntry(r.key, r.lsn, r.op === LogOp.put ? r.value : undefined);
  }

  private setEntry(key: string, lsn: number, value: Uint8Array | undefined): boolean {
    const cur = this.index.get(key);
    if (cur && cur.lsn >= lsn) return false;
    if (cur?.value !== undefined) this.live--;
    if (value !== undefined) this.live++;
    this.index.set(key, { lsn, value });
    if (lsn > this.maxLsnSeen) this.maxLsnSeen = lsn;
    return true;
  }

  /** Number of keys with a value. */
  get size(): number {
    return this.live;
  }

  /** The highest change seen in pages or applied. */
  get maxLsn(): number {
    return this.maxLsnSeen;
  }

  /** Data pages on disk (the streamed copy has lastPgno + 3 pages). */
  get pagesOnDisk(): number {
    return this.lastPgno;
  }

  /** Apply a logged change unless the page state is already newer; appends it to the record stream. */
  apply(op: number, lsn: number, key: string, value: Uint8Array): boolean {
    if (!this.setEntry(key, lsn, op === LogOp.put ? value : undefined)) return false;
    this.append(encodeStreamRecord(op, lsn, key, op === LogOp.put ? value : new Uint8Array(0)), lsn);
    return true;
  }

  private append(rec: Uint8Array, lsn: number): void {
    const A = this.areaSize;
    let pos = this.streamEnd;
    if (A - (pos % A) < REC_HEADER) {
      const pad = this.pageForWrite(Math.floor(pos / A) + 1);
      this.setUsed(pad, A);
      pos += A - (pos % A);
    }
    let first = true;
    for (let off = 0; off < rec.length; first = false) {
      const pgno = Math.floor(pos / A) + 1;
      const inArea = pos % A;
      const page = this.pageForWrite(pgno);
      const n = Math.min(A - inArea, rec.length - off);
      page.set(rec.subarray(off, off + n), this.headerSize + inArea);
      const v = new DataView(page.buffer, page.byteOffset, page.byteLength);
      if (first && v.getUint16(PageField.itagMicFree, true) === NO_RECORD_START) v.setUint16(PageField.itagMicFree, inArea, true);
      this.setUsed(page, inArea + n);
      v.setUint32(PageField.dbtimeLow, lsn % 0x1_0000_0000, true);
      v.setUint32(PageField.dbtimeHigh, Math.floor(lsn / 0x1_0000_0000), true);
      off += n;
      pos += n;
    }
    this.streamEnd = pos;
  }

  private setUsed(page: Uint8Array, used: number): void {
    const v = new DataView(page.buffer, page.byteOffset, page.byteLength);
    v.setUint16(PageField.ibMicFree, used, true);
    v.setUint16(PageField.cbFree, this.areaSize - used, true);
  }

  private pageForWrite(pgno: number): Uint8Array {
    let page = this.dirty.get(pgno);
    if (page) return page;
    page = new Uint8Array(this.pageSize);
    if (pgno <= this.lastPgno) {
      fs.readSync(this.fd, page, 0, this.pageSize, (pgno + 1) * this.pageSize);
    }
    const v = new DataView(page.buffer);
    if (v.getUint32(PageField.flags, true) === 0) {
      v.setUint32(PageField.pgnoPrev, pgno - 1, true);
      v.setUint32(PageField.objidFDP, 1, true);
      v.setUint16(PageField.itagMicFree, NO_RECORD_START, true);
      v.setUint32(PageField.flags, PAGE_FLAGS, true);
      v.setUint16(PageField.cbFree, this.areaSize, true);
      if (this.headerSize > 40) v.setUint32(PageField.largePgno, pgno, true);
    }
    this.dirty.set(pgno, page);
    return page;
  }

  /** Whether pages changed since the last flush. */
  get hasDirtyPages(): boolean {
    return this.dirty.size > 0;
  }

  /**
   * Write every changed page with its checksum, then the header and shadow (synchronously, so a
   * backup read sees whole pages); returns a promise for the fdatasync.
   */
  flush(): Promise<void> {
    if (this.dirty.size > 0) {
      const pgnos = [...this.dirty.keys()].sort((a, b) => a - b);
      for (const pgno of pgnos) {
        const page = this.dirty.get(pgno) as Uint8Array;
        const v = new DataView(page.buffer);
        v.setUint32(PageField.pgnoNext, pgno + 1, true);
        setDataPageChecksum(page, pgno);
        fs.writeSync(this.fd, page, 0, this.pageSize, (pgno + 1) * this.pageSize);
        if (pgno > this.lastPgno) this.lastPgno = pgno;
      }
      this.dirty.clear();
      this.writeHeader(DbState.dirtyShutdown);
    }
    return fdatasync(this.fd);
  }

  private writeHeader(state: number): void {
    const page = new Uint8Array(this.pageSize);
    writeDatabaseHeader(page, {
      pageSize: this.pageSize,
      state,
      dbSignature: this.dbSignature,
      lastPgno: this.lastPgno,
      flushedLsn: this.maxLsnSeen,
      genRequired: 0,
      trailer: 0,
    });
    fs.writeSync(this.fd, page, 0, this.pageSize, 0);
    fs.writeSync(this.fd, page, 0, this.pageSize, this.pageSize);
  }

  /**
   * The backup trailer page: the header with the oldest log generation a restore needs and, at ESE's
   * offsets, the instance's log signature and the generations a replay needs (`eseRecovery`).
   */
  trailerPage(genRequired: number, eseRecovery?: { logSignature: number; genMaxRequired: number }): Uint8Array {
    const page = new Uint8Array(this.pageSize);
    writeDatabaseHeader(page, {
      pageSize: this.pageSize,
      state: DbState.dirtyShutdown,
      dbSignature: this.dbSignature,
      lastPgno: this.lastPgno,
      flushedLsn: this.maxLsnSeen,
      genRequired,
      trailer: 1,
      ...(eseRecovery
        ? {
            eseRecovery: {
              logSignature: eseRecovery.logSignature,
              genMinRequired: genRequired,
              genMaxRequired: eseRecovery.genMaxRequired,
            },
          }
        : {}),
    });
    return page;
  }

  /** Read bytes of the file as it is on disk (header, shadow and data pages share file offsets with the stream). */
  readAt(buffer: Uint8Array, offset: number, length: number, position: number): number {
    return fs.readSync(this.fd, buffer, offset, length, position);
  }

  /** Flush, mark the header clean and close. */
  async close(): Promise<void> {
    if (this.fd < 0) return;
    await this.flush();
    this.writeHeader(DbState.cleanShutdown);
    await fdatasync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Close without flushing (abrupt termination): what is not on disk is in the logs. */
  closeAbrupt(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** Map a Node file error to the JetError ESE would answer. */
export function fileError(api: string, e: unknown, file: string): JetError {
  const code = (e as NodeJS.ErrnoException).code;
  const err =
    code === 'EEXIST'
      ? JET_err.DatabaseDuplicate
      : code === 'ENOENT'
        ? JET_err.FileNotFound
        : code === 'EACCES' || code === 'EPERM' || code === 'EBUSY'
          ? JET_err.FileAccessDenied
          : code === 'ENOSPC'
            ? JET_err.DiskFull
            : code === 'ENAMETOOLONG' || code === 'ENOTDIR' || code === 'EISDIR'
              ? JET_err.InvalidPath
              : JET_err.DiskIO;
  return new JetError(api, err, { file, cause: e });
}
