import fs from 'node:fs';
// Issue 12 §3: the table calls the demo writes with and the restore reads back with, each across the C
// ABI of the shim: JetCreateDatabase2W, a table with a key and a value column (column ids and bookmarks as
// out-parameters), rows committed in transactions (JetBeginTransaction … JetCommitTransaction2), a rollback,
// then every row read back in key order; and the same rows after a backup and `restoreEsentBackupSet`.
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { restoreEsentBackupSet } from '../../src/backup/index.js';
import {
  JET_param,
  JET_table,
  createKeyValueTable,
  insertRows,
  openKeyValueTable,
  readRows,
  type EsentBackend,
} from '../../src/esent/index.js';
import { JET_bit, check, type JetInstance } from '../../src/jet/index.js';
import { cli } from './in-process-cli.js';
import { noCompiler, openNative, tempDirectory } from './native-session.js';

const rowsOf = (from: number, to: number) =>
  Array.from(
    { length: to - from },
    (_, j) => [`row${String(from + j).padStart(4, '0')}`, Buffer.from(`value ${from + j} `.repeat(40 + from + j))] as const,
  );
const hexRows = (rows: ReadonlyArray<readonly [string, Uint8Array]>) => rows.map(([k, v]) => [k, Buffer.from(v).toString('hex')]);

async function privateInstance(api: EsentBackend, dir: string, name: string): Promise<{ inst: JetInstance; sesid: bigint }> {
  const lib = api.library;
  fs.mkdirSync(dir, { recursive: true });
  const created = await lib.JetCreateInstance2W(name, name, 0);
  check('JetCreateInstance2W', created.err);
  for (const param of [JET_param.SystemPath, JET_param.LogFilePath])
    check('JetSetSystemParameterW', await lib.JetSetSystemParameterW(created.instance, 0n, param, 0n, dir + path.sep));
  check('JetSetSystemParameterW', await lib.JetSetSystemParameterW(created.instance, 0n, JET_param.LogFileSize, 64n, null));
  check('JetInit', (await lib.JetInit(created.instance)).err);
  const session = await lib.JetBeginSession(created.instance);
  check('JetBeginSession', session.err);
  return { inst: created.instance, sesid: session.sesid };
}

describe.skipIf(noCompiler)('esent over the shim: tables', () => {
  it('create, insert in transactions, roll back, read back in key order; duplicates and missing tables answer ESE codes', async () => {
    const { api } = await openNative();
    const lib = api.library;
    const dir = await tempDirectory('ese-tables-');
    const { inst, sesid } = await privateInstance(api, dir, 'tables');
    onTestFinished(() => api.term(inst, JET_bit.TermAbrupt).catch(() => undefined));
    const db = await lib.JetCreateDatabase2W(sesid, path.join(dir, 'rows.edb'), 0, 0);
    check('JetCreateDatabase2W', db.err);
    const table = await createKeyValueTable(lib, sesid, db.dbid, 'rows');
    expect(table.keyColumn).not.toBe(table.valueColumn);
    const bookmarks = await insertRows(lib, table, rowsOf(10, 20));
    expect(bookmarks.map((b) => Buffer.from(b).toString('latin1'))).toEqual(rowsOf(10, 20).map(([k]) => k));
    await insertRows(lib, table, rowsOf(0, 10));
    // A transaction rolled back leaves nothing.
    check('JetBeginTransaction', await lib.JetBeginTransaction(sesid));
    check('JetPrepareUpdate', await lib.JetPrepareUpdate(sesid, table.tableid, JET_table.prepInsert));
    check('JetSetColumn', await lib.JetSetColumn(sesid, table.tableid, table.keyColumn, Buffer.from('gone'), 0));
    check('JetUpdate', (await lib.JetUpdate(sesid, table.tableid, 0)).err);
    check('JetRollback', await lib.JetRollback(sesid, 0));
    expect(await lib.JetCommitTransaction2(sesid, 0, 0)).toBe(-1054); // JET_errNotInTransaction
    await expect(insertRows(lib, table, rowsOf(5, 6))).rejects.toMatchObject({ err: -1605 }); // JET_errKeyDuplicate
    expect(hexRows(await readRows(lib, table))).toEqual(hexRows(rowsOf(0, 20)));
    expect((await lib.JetOpenTableW(sesid, db.dbid, 'nope', 0)).err).toBe(-1305); // JET_errObjectNotFound
    const reopened = await openKeyValueTable(lib, sesid, db.dbid, 'rows');
    expect([reopened.keyColumn, reopened.valueColumn]).toEqual([table.keyColumn, table.valueColumn]);
  });

  it('rows written through the table calls come back after a backup and restoreEsentBackupSet', async () => {
    const s = await openNative();
    const lib = s.api.library;
    const dir = await tempDirectory('ese-tables-restore-');
    const { inst, sesid } = await privateInstance(s.api, path.join(dir, 'src'), 'source');
    const file = path.join(dir, 'src', 'rows.edb');
    const db = await lib.JetCreateDatabase2W(sesid, file, 0, 0);
    check('JetCreateDatabase2W', db.err);
    const table = await createKeyValueTable(lib, sesid, db.dbid, 'rows');
    await insertRows(lib, table, rowsOf(0, 30));
    check('JetCloseTable', await lib.JetCloseTable(sesid, table.tableid));
    check('JetEndSession', await lib.JetEndSession(sesid, 0));
    await s.api.term(inst, JET_bit.TermComplete); // the CLI opens the database in an instance of its own

    const set = path.join(dir, 'set');
    const backup = await cli([
      'backup',
      '--engine',
      'esent',
      '--esent-library',
      s.host.library,
      '--instance',
      'taker',
      '--database',
      file,
      '--system-path',
      path.join(dir, 'sys'),
      '--to',
      set,
    ]);
    expect(backup.code, backup.stderr).toBe(0);

    const restored = await restoreEsentBackupSet(set, {
      to: path.join(dir, 'restored'),
      library: s.host.library,
      readBack: { table: 'rows' },
    });
    expect(restored.databases).toHaveLength(1);
    expect(hexRows(restored.databases[0]!.rows ?? [])).toEqual(hexRows(rowsOf(0, 30)));
  });
});
