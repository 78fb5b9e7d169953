// The table calls of esent.dll (esent.h), typed: what the demo writes with and the restore reads back with.
// esent-library.ts hands in its `run` (one `.async` call through the gate); out-parameters come back as fields.

type Err = number;
type Ptr = bigint | number;

/** `JET_COLUMNDEF` (esent.h; 28 bytes): what JetAddColumnW takes and JetGetTableColumnInfoW(JET_ColInfo) answers. */
export interface JetColumnDef {
  cbStruct: number;
  columnid: number;
  coltyp: number;
  wCountry: number;
  langid: number;
  cp: number;
  wCollate: number;
  cbMax: number;
  grbit: number;
}

/** esent.h values the table calls use. */
export const JET_table = {
  coltypBinary: 9,
  coltypText: 10,
  coltypLongBinary: 11,
  prepInsert: 0,
  prepReplace: 2,
  bitIndexPrimary: 0x2,
  MoveFirst: -0x8000_0000,
  MoveNext: 1,
  ColInfo: 0,
  errNoCurrentRecord: -1603,
  wrnColumnNull: 1004,
  wrnBufferTruncated: 1006,
} as const;

/** The table calls, one per esent.dll export. */
export interface EsentTableCalls {
  JetCreateDatabase2W(sesid: Ptr, file: string, cpgMax: number, grbit: number): Promise<{ err: Err; dbid: number }>;
  JetCreateTableW(sesid: Ptr, dbid: number, name: string, pages: number, density: number): Promise<{ err: Err; tableid: bigint }>;
  JetAddColumnW(
    sesid: Ptr,
    tableid: Ptr,
    name: string,
    def: { coltyp: number; cbMax?: number; grbit?: number },
  ): Promise<{ err: Err; columnid: number }>;
  /** `key` as esent.h spells it, e.g. `+key`: the binding adds the double NUL and passes its size in bytes. */
  JetCreateIndexW(sesid: Ptr, tableid: Ptr, name: string, grbit: number, key: string, density: number): Promise<Err>;
  JetBeginTransaction(sesid: Ptr): Promise<Err>;
  /** `pCommitId` is passed as NULL. */
  JetCommitTransaction2(sesid: Ptr, grbit: number, cmsecDurableCommit: number): Promise<Err>;
  JetRollback(sesid: Ptr, grbit: number): Promise<Err>;
  JetOpenTableW(sesid: Ptr, dbid: number, name: string, grbit: number): Promise<{ err: Err; tableid: bigint }>;
  JetCloseTable(sesid: Ptr, tableid: Ptr): Promise<Err>;
  JetPrepareUpdate(sesid: Ptr, tableid: Ptr, prep: number): Promise<Err>;
  JetSetColumn(sesid: Ptr, tableid: Ptr, columnid: number, data: Uint8Array, grbit: number): Promise<Err>;
  /** The bookmark of the row written (at most `cbBookmark` bytes). */
  JetUpdate(sesid: Ptr, tableid: Ptr, cbBookmark: number): Promise<{ err: Err; bookmark: Uint8Array }>;
  JetMove(sesid: Ptr, tableid: Ptr, cRow: number, grbit: number): Promise<Err>;
  /** Into `buffer`; `cbActual` is the column's whole size (more than the buffer: JET_wrnBufferTruncated). */
  JetRetrieveColumn(sesid: Ptr, tableid: Ptr, columnid: number, buffer: Uint8Array, grbit: number): Promise<{ err: Err; cbActual: number }>;
  JetGetTableColumnInfoW(sesid: Ptr, tableid: Ptr, name: string): Promise<{ err: Err; column: JetColumnDef }>;
}

const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));
const COLUMNDEF_SIZE = 28;

/** Type the table calls over `run(name, ...args)` (one `.async` call; arrays and objects receive out-parameters). */
export function bindEsentTableCalls(run: (name: string, ...args: unknown[]) => Promise<number>): EsentTableCalls {
  return {
    async JetCreateDatabase2W(sesid, file, cpgMax, grbit) {
      const dbid = [0];
      const err = await run('JetCreateDatabase2W', sesid, file, cpgMax, dbid, grbit);
      return { err, dbid: dbid[0] as number };
    },
    async JetCreateTableW(sesid, dbid, name, pages, density) {
      const out = [0];
      const err = await run('JetCreateTableW', sesid, dbid, name, pages, density, out);
      return { err, tableid: big(out[0]) };
    },
    async JetAddColumnW(sesid, tableid, name, def) {
      const out = [0];
      const columndef: JetColumnDef = {
        cbStruct: COLUMNDEF_SIZE,
        columnid: 0,
        coltyp: def.coltyp,
        wCountry: 0,
        langid: 0,
        cp: 0,
        wCollate: 0,
        cbMax: def.cbMax ?? 0,
        grbit: def.grbit ?? 0,
      };
      const err = await run('JetAddColumnW', sesid, tableid, name, columndef, null, 0, out);
      return { err, columnid: out[0] as number };
    },
    JetCreateIndexW(sesid, tableid, name, grbit, key, density) {
      const szKey = Buffer.from(`${key}\0\0`, 'utf16le');
      return run('JetCreateIndexW', sesid, tableid, name, grbit, szKey, szKey.length, density);
    },
    JetBeginTransaction: (sesid) => run('JetBeginTransaction', sesid),
    JetCommitTransaction2: (sesid, grbit, ms) => run('JetCommitTransaction2', sesid, grbit, ms, null),
    JetRollback: (sesid, grbit) => run('JetRollback', sesid, grbit),
    async JetOpenTableW(sesid, dbid, name, grbit) {
      const out = [0];
      const err = await run('JetOpenTableW', sesid, dbid, name, null, 0, grbit, out);
      return { err, tableid: big(out[0]) };
    },
    JetCloseTable: (sesid, tableid) => run('JetCloseTable', sesid, tableid),
    JetPrepareUpdate: (sesid, tableid, prep) => run('JetPrepareUpdate', sesid, tableid, prep),
    JetSetColumn: (sesid, tableid, columnid, data, grbit) => run('JetSetColumn', sesid, tableid, columnid, data, data.length, grbit, null),
    async JetUpdate(sesid, tableid, cbBookmark) {
      const bookmark = Buffer.alloc(cbBookmark);
      const cb = [0];
      const err = await run('JetUpdate', sesid, tableid, cbBookmark ? bookmark : null, cbBookmark, cb);
      return { err, bookmark: bookmark.subarray(0, Math.min(cb[0] as number, cbBookmark)) };
    },
    JetMove: (sesid, tableid, cRow, grbit) => run('JetMove', sesid, tableid, cRow, grbit),
    async JetRetrieveColumn(sesid, tableid, columnid, buffer, grbit) {
      const cb = [0];
      const err = await run('JetRetrieveColumn', sesid, tableid, columnid, buffer, buffer.length, cb, grbit, null);
      return { err, cbActual: cb[0] as number };
    },
    async JetGetTableColumnInfoW(sesid, tableid, name) {
      const column: JetColumnDef = { cbStruct: 0, columnid: 0, coltyp: 0, wCountry: 0, langid: 0, cp: 0, wCollate: 0, cbMax: 0, grbit: 0 };
      const err = await run('JetGetTableColumnInfoW', sesid, tableid, name, column, COLUMNDEF_SIZE, JET_table.ColInfo);
      return { err, column };
    },
  };
}
