import nodePath from 'node:path';
import type { EmbeddedDatabase, EmbeddedEngine } from '../../src/engine/index.js';
import { JET_err, type JetInstance } from '../../src/jet/index.js';
import type { ShimCall, ShimResult } from './esent-shim-host.js';
import type { ShimApi } from './shim-api.js';
import type { shimParams } from './shim-params.js';

// ESE error and warning codes of the table calls (esent.h).
const errInvalidDatabaseId = -1010;
const errNotInTransaction = -1054;
const errTableDuplicate = -1303;
const errObjectNotFound = -1305;
const errColumnNotFound = -1601;
const errColumnDuplicate = -1508;
const errNoCurrentRecord = -1603;
const errKeyDuplicate = -1605;
const errUpdateNotPrepared = -1609;
const errInvalidTableId = -1310;
const errNullKeyDisallowed = -1053;
const wrnColumnNull = 1004;
const MOVE_FIRST = -0x8000_0000;
const MOVE_LAST = 0x7fff_ffff;
const PREP_INSERT = 0;
const PREP_REPLACE = 2;
const PREP_CANCEL = 3;
const INDEX_PRIMARY = 0x2;

interface Column {
  name: string;
  id: number;
  coltyp: number;
  cbMax: number;
  grbit: number;
}
interface Schema {
  columns: Column[];
  primary: number | null;
}
interface Cursor {
  sesid: bigint;
  db: EmbeddedDatabase;
  table: string;
  row: string | undefined;
  update: { prep: number; values: Map<number, Uint8Array> } | undefined;
}

const TABLE_CALLS: ReadonlySet<ShimApi> = new Set<ShimApi>([
  'createDatabase2',
  'createTable',
  'addColumn',
  'createIndex',
  'beginTransaction',
  'commitTransaction',
  'rollback',
  'openTable',
  'closeTable',
  'prepareUpdate',
  'setColumn',
  'update',
  'move',
  'retrieveColumn',
  'columnInfo',
]);

const schemaKey = (table: string) => `~schema/${table.toLowerCase()}`;
const rowPrefix = (table: string) => `~row/${table.toLowerCase()}/`;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * The shim's table calls over the embedded engine's key-value databases. A table's schema is a row
 * (`~schema/NAME`, JSON), each of its rows one entry `~row/NAME/<primary key in hex>` holding the columns as
 * JSON (base64 values), so rows come back in primary-key byte order and survive backup and restore.
 *
 * Within ESE's rules as far as the demo and the read-back go: one primary index on one column (no
 * secondary indexes), inserts and replaces, JetMove First/Last/Next/Previous, JetRetrieveColumn of the
 * current row. A transaction's updates are kept per session and written on the outermost commit (each
 * `put` durable); rollback drops them; reads do not see the session's own uncommitted rows (ESE's would).
 */
export function shimTables(engine: EmbeddedEngine, params: ReturnType<typeof shimParams>) {
  const known = new Map<string, EmbeddedDatabase>();
  const dbids = new Map<bigint, EmbeddedDatabase>();
  const cursors = new Map<bigint, Cursor>();
  const transactions = new Map<bigint, { level: number; writes: Array<() => Promise<void>> }>();
  let nextTableid = 0x7ab1e000n;

  const schemaOf = (db: EmbeddedDatabase, table: string): Schema | undefined => {
    const raw = db.get(schemaKey(table));
    return raw ? (JSON.parse(Buffer.from(raw).toString('utf8')) as Schema) : undefined;
  };
  const saveSchema = (db: EmbeddedDatabase, table: string, schema: Schema) => db.put(schemaKey(table), JSON.stringify(schema));
  const cursorOf = (c: ShimCall): Cursor => {
    const cur = cursors.get(c.arg);
    if (!cur || cur.sesid !== c.instance) throw Object.assign(new Error('tableid'), { jet: errInvalidTableId });
    return cur;
  };
  const rowsOf = (cur: Cursor): string[] =>
    cur.db
      .entries()
      .map(([k]) => k)
      .filter((k) => k.startsWith(rowPrefix(cur.table)));
  const decodeRow = (raw: Uint8Array): Record<string, string> => JSON.parse(Buffer.from(raw).toString('utf8')) as Record<string, string>;
  const newCursor = (sesid: bigint, db: EmbeddedDatabase, table: string): bigint => {
    const tableid = (nextTableid += 0x10n);
    cursors.set(tableid, { sesid, db, table, row: undefined, update: undefined });
    return tableid;
  };
  const write = async (sesid: bigint, run: () => Promise<void>) => {
    const tx = transactions.get(sesid);
    if (tx && tx.level > 0) tx.writes.push(run);
    else await run();
  };

  const perform = async (c: ShimCall): Promise<ShimResult> => {
    switch (c.api) {
      case 'createDatabase2': {
        const db = await engine.createDatabase(params.sessionInstance(c.instance), c.text ?? '');
        remember(db);
        const dbid = params.nextDbid();
        dbids.set(dbid, db);
        return { err: 0, values: [dbid] };
      }
      case 'createTable': {
        const db = dbids.get(c.arg);
        if (!db) return { err: errInvalidDatabaseId };
        const name = c.text ?? '';
        if (schemaOf(db, name)) return { err: errTableDuplicate };
        await saveSchema(db, name, { columns: [], primary: null });
        return { err: 0, values: [newCursor(c.instance, db, name)] };
      }
      case 'openTable': {
        const db = dbids.get(c.arg);
        if (!db) return { err: errInvalidDatabaseId };
        if (!schemaOf(db, c.text ?? '')) return { err: errObjectNotFound };
        return { err: 0, values: [newCursor(c.instance, db, c.text ?? '')] };
      }
      case 'closeTable':
        return (cursorOf(c), cursors.delete(c.arg), { err: 0 });
      case 'addColumn': {
        const cur = cursorOf(c);
        const schema = schemaOf(cur.db, cur.table)!;
        const name = c.text ?? '';
        if (schema.columns.some((col) => col.name.toLowerCase() === name.toLowerCase())) return { err: errColumnDuplicate };
        const id = schema.columns.length + 1;
        schema.columns.push({ name, id, coltyp: c.grbit, cbMax: c.cb, grbit: Number(c.arg2) });
        await saveSchema(cur.db, cur.table, schema);
        return { err: 0, values: [BigInt(id)] };
      }
      case 'createIndex': {
        const cur = cursorOf(c);
        const schema = schemaOf(cur.db, cur.table)!;
        const key = Buffer.from(c.data ?? new Uint8Array())
          .toString('utf16le')
          .split('\0')
          .filter(Boolean);
        const col =
          key.length === 1 && /^[+-]/.test(key[0]!)
            ? schema.columns.find((x) => x.name.toLowerCase() === key[0]!.slice(1).toLowerCase())
            : undefined;
        // The shim keeps rows by one primary key column: anything else it cannot index.
        if (!(c.grbit & INDEX_PRIMARY) || !col || schema.primary !== null) return { err: JET_err.InvalidParameter };
        schema.primary = col.id;
        await saveSchema(cur.db, cur.table, schema);
        return { err: 0 };
      }
      case 'beginTransaction': {
        const tx = transactions.get(c.instance) ?? { level: 0, writes: [] };
        tx.level++;
        transactions.set(c.instance, tx);
        return { err: 0 };
      }
      case 'commitTransaction': {
        const tx = transactions.get(c.instance);
        if (!tx || tx.level === 0) return { err: errNotInTransaction };
        if (--tx.level === 0) for (const w of tx.writes.splice(0)) await w();
        return { err: 0 };
      }
      case 'rollback': {
        const tx = transactions.get(c.instance);
        if (!tx || tx.level === 0) return { err: errNotInTransaction };
        if (--tx.level === 0) tx.writes.length = 0;
        return { err: 0 };
      }
      case 'prepareUpdate': {
        const cur = cursorOf(c);
        if (c.grbit === PREP_CANCEL) return (void (cur.update = undefined), { err: 0 });
        if (c.grbit === PREP_REPLACE && cur.row === undefined) return { err: errNoCurrentRecord };
        if (c.grbit !== PREP_INSERT && c.grbit !== PREP_REPLACE) return { err: JET_err.InvalidParameter };
        const values = new Map<number, Uint8Array>();
        if (c.grbit === PREP_REPLACE)
          for (const [id, v] of Object.entries(decodeRow(cur.db.get(cur.row!)!))) values.set(Number(id), Buffer.from(v, 'base64'));
        cur.update = { prep: c.grbit, values };
        return { err: 0 };
      }
      case 'setColumn': {
        const cur = cursorOf(c);
        if (!cur.update) return { err: errUpdateNotPrepared };
        const id = Number(c.arg2);
        if (!schemaOf(cur.db, cur.table)!.columns.some((col) => col.id === id)) return { err: errColumnNotFound };
        cur.update.values.set(id, c.data ?? new Uint8Array());
        return { err: 0 };
      }
      case 'update': {
        const cur = cursorOf(c);
        if (!cur.update) return { err: errUpdateNotPrepared };
        const schema = schemaOf(cur.db, cur.table)!;
        const keyValue = schema.primary === null ? undefined : cur.update.values.get(schema.primary);
        if (!keyValue?.length) return { err: errNullKeyDisallowed };
        const key = rowPrefix(cur.table) + hex(keyValue);
        if (cur.update.prep === PREP_INSERT && cur.db.get(key)) return { err: errKeyDuplicate };
        const row: Record<string, string> = {};
        for (const [id, v] of cur.update.values) row[id] = Buffer.from(v).toString('base64');
        const { db } = cur;
        cur.update = undefined;
        await write(c.instance, () => db.put(key, JSON.stringify(row)));
        return { err: 0, data: keyValue };
      }
      case 'move': {
        const cur = cursorOf(c);
        const rows = rowsOf(cur);
        const n = Number(BigInt.asIntN(64, c.arg2));
        let at: number;
        if (n === MOVE_FIRST) at = 0;
        else if (n === MOVE_LAST) at = rows.length - 1;
        else {
          const here = cur.row === undefined ? -1 : rows.indexOf(cur.row);
          at = here < 0 ? -1 : here + n;
        }
        if (at < 0 || at >= rows.length) return { err: errNoCurrentRecord };
        cur.row = rows[at];
        return { err: 0 };
      }
      case 'retrieveColumn': {
        const cur = cursorOf(c);
        const raw = cur.row === undefined ? undefined : cur.db.get(cur.row);
        if (!raw) return { err: errNoCurrentRecord };
        const v = decodeRow(raw)[String(Number(c.arg2))];
        return v === undefined ? { err: wrnColumnNull } : { err: 0, data: Buffer.from(v, 'base64') };
      }
      case 'columnInfo': {
        const cur = cursorOf(c);
        const col = schemaOf(cur.db, cur.table)!.columns.find((x) => x.name.toLowerCase() === (c.text ?? '').toLowerCase());
        return col
          ? { err: 0, values: [BigInt(col.id), BigInt(col.coltyp), BigInt(col.cbMax), BigInt(col.grbit)] }
          : { err: errColumnNotFound };
      }
      default:
        return { err: JET_err.InvalidParameter };
    }
  };

  function remember(db: EmbeddedDatabase): void {
    known.set(nodePath.resolve(db.path), db);
  }

  return {
    remember,
    handles: (api: ShimApi) => TABLE_CALLS.has(api),
    async perform(c: ShimCall): Promise<ShimResult> {
      try {
        return await perform(c);
      } catch (e) {
        const jet = (e as { jet?: number }).jet;
        if (jet !== undefined) return { err: jet };
        throw e;
      }
    },
    /** JetOpenDatabaseW: a database the instance has attached, matched by file name (the engine keeps its own layout). */
    openDatabase(c: ShimCall): ShimResult {
      const inst: JetInstance = params.sessionInstance(c.instance);
      const file = params.attachedByName(inst, c.text ?? '');
      const db = file === undefined ? undefined : known.get(nodePath.resolve(file));
      if (!db) return { err: JET_err.DatabaseNotFound };
      const dbid = params.nextDbid();
      dbids.set(dbid, db);
      return { err: 0, values: [dbid] };
    },
    closeDatabase(c: ShimCall): ShimResult {
      return dbids.delete(c.arg) ? { err: 0 } : { err: errInvalidDatabaseId };
    },
  };
}
