import { JetError, check } from '../jet/index.js';
import { JET_table, type EsentTableCalls } from './esent-table-calls.js';

/** A table with a key column (text, primary index) and a value column (long binary), open on a session. */
export interface KeyValueTable {
  sesid: bigint;
  tableid: bigint;
  keyColumn: number;
  valueColumn: number;
}

/** Column and index names of the key-value tables this package writes. */
export const KEY_VALUE_COLUMNS = { key: 'key', value: 'value', index: 'primary' } as const;

/**
 * Create `name` in `dbid`: JetCreateTableW, JetAddColumnW for `key` (JET_coltypText, 255 bytes) and
 * `value` (JET_coltypLongBinary), JetCreateIndexW `+key` as the primary index. Column ids come back as
 * out-parameters.
 *
 * @throws JetError from ESE
 * @example
 * const t = await createKeyValueTable(lib, sesid, dbid, 'rows');
 */
export async function createKeyValueTable(lib: EsentTableCalls, sesid: bigint, dbid: number, name: string): Promise<KeyValueTable> {
  const created = await lib.JetCreateTableW(sesid, dbid, name, 0, 100);
  check('JetCreateTableW', created.err);
  const key = await lib.JetAddColumnW(sesid, created.tableid, KEY_VALUE_COLUMNS.key, { coltyp: JET_table.coltypText, cbMax: 255 });
  check('JetAddColumnW', key.err);
  const value = await lib.JetAddColumnW(sesid, created.tableid, KEY_VALUE_COLUMNS.value, { coltyp: JET_table.coltypLongBinary });
  check('JetAddColumnW', value.err);
  check(
    'JetCreateIndexW',
    await lib.JetCreateIndexW(sesid, created.tableid, KEY_VALUE_COLUMNS.index, JET_table.bitIndexPrimary, `+${KEY_VALUE_COLUMNS.key}`, 100),
  );
  return { sesid, tableid: created.tableid, keyColumn: key.columnid, valueColumn: value.columnid };
}

/** Open an existing key-value table (JetOpenTableW) and look its column ids up (JetGetTableColumnInfoW). */
export async function openKeyValueTable(lib: EsentTableCalls, sesid: bigint, dbid: number, name: string): Promise<KeyValueTable> {
  const opened = await lib.JetOpenTableW(sesid, dbid, name, 0);
  check('JetOpenTableW', opened.err);
  const key = await lib.JetGetTableColumnInfoW(sesid, opened.tableid, KEY_VALUE_COLUMNS.key);
  check('JetGetTableColumnInfoW', key.err);
  const value = await lib.JetGetTableColumnInfoW(sesid, opened.tableid, KEY_VALUE_COLUMNS.value);
  check('JetGetTableColumnInfoW', value.err);
  return { sesid, tableid: opened.tableid, keyColumn: key.column.columnid, valueColumn: value.column.columnid };
}

/**
 * Insert `rows` in one transaction: JetBeginTransaction, then per row JetPrepareUpdate(JET_prepInsert),
 * JetSetColumn key and value, JetUpdate; then JetCommitTransaction2. Any failure rolls the transaction back.
 *
 * @returns each row's bookmark, as JetUpdate wrote it
 */
export async function insertRows(
  lib: EsentTableCalls,
  t: KeyValueTable,
  rows: ReadonlyArray<readonly [string, Uint8Array]>,
): Promise<Uint8Array[]> {
  check('JetBeginTransaction', await lib.JetBeginTransaction(t.sesid));
  const bookmarks: Uint8Array[] = [];
  try {
    for (const [key, value] of rows) {
      check('JetPrepareUpdate', await lib.JetPrepareUpdate(t.sesid, t.tableid, JET_table.prepInsert));
      check('JetSetColumn', await lib.JetSetColumn(t.sesid, t.tableid, t.keyColumn, Buffer.from(key, 'latin1'), 0));
      check('JetSetColumn', await lib.JetSetColumn(t.sesid, t.tableid, t.valueColumn, value, 0));
      const updated = await lib.JetUpdate(t.sesid, t.tableid, 256);
      check('JetUpdate', updated.err);
      bookmarks.push(updated.bookmark);
    }
    check('JetCommitTransaction2', await lib.JetCommitTransaction2(t.sesid, 0, 0));
  } catch (e) {
    await lib.JetRollback(t.sesid, 0);
    throw e;
  }
  return bookmarks;
}

/** Every row in primary-key order: JetMove(First), then JetRetrieveColumn key and value and JetMove(Next) to the end. */
export async function readRows(lib: EsentTableCalls, t: KeyValueTable): Promise<Array<[string, Uint8Array]>> {
  const rows: Array<[string, Uint8Array]> = [];
  const column = async (id: number): Promise<Uint8Array> => {
    let buffer = Buffer.alloc(4096);
    for (;;) {
      const r = await lib.JetRetrieveColumn(t.sesid, t.tableid, id, buffer, 0);
      if (r.err === JET_table.wrnColumnNull) return new Uint8Array(0);
      if (r.err < 0) throw new JetError('JetRetrieveColumn', r.err);
      if (r.cbActual <= buffer.length) return buffer.subarray(0, r.cbActual);
      buffer = Buffer.alloc(r.cbActual); // JET_wrnBufferTruncated: the whole size is known now
    }
  };
  for (
    let err = await lib.JetMove(t.sesid, t.tableid, JET_table.MoveFirst, 0);
    err !== JET_table.errNoCurrentRecord;
    err = await lib.JetMove(t.sesid, t.tableid, JET_table.MoveNext, 0)
  ) {
    check('JetMove', err);
    rows.push([Buffer.from(await column(t.keyColumn)).toString('latin1'), await column(t.valueColumn)]);
  }
  return rows;
}
