// Issue 12 §3: `ese-backup demo --engine esent` — create a database and a key/value table through ESE's
// calls, a writer committing rows in transactions during a full streaming backup, restore with
// JetExternalRestore2W, and a row-by-row check; and a stopped run that leaves no set. Over the shim, in process.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './in-process-cli.js';
import { noCompiler, openNative, tempDirectory } from './native-session.js';

describe.skipIf(noCompiler)('ese-backup demo --engine esent (over the shim)', () => {
  it('completes: every row of the fill and every write committed before the log phase comes back', async () => {
    const s = await openNative();
    const dir = await tempDirectory('ese-demo-esent-');
    const r = await cli([
      'demo',
      '--engine',
      'esent',
      '--esent-library',
      s.host.library,
      '--dir',
      dir,
      '--size',
      '1',
      '--rate',
      '2',
      '--no-progress',
    ]);
    expect(r.code, JSON.stringify(r.json)).toBe(0);
    expect(r.json).toMatchObject({ command: 'demo', engine: 'esent', outcome: 'completed', rows: 256, restore: { missing: 0 } });
    const json = r.json as { rows: number; committedBeforeLogs: number; restore: { rowsBack: number } };
    expect(json.restore.rowsBack).toBeGreaterThanOrEqual(json.rows + json.committedBeforeLogs);
    expect(json.committedBeforeLogs, 'the writer committed rows while the databases streamed').toBeGreaterThan(0);
    console.log(
      'demo --engine esent over the shim:',
      JSON.stringify({ rows: json.rows, committedBeforeLogs: json.committedBeforeLogs, rowsBack: json.restore.rowsBack }),
    );
    const apis = new Set(s.host.calls.map((c) => c.api));
    for (const api of [
      'createDatabase2',
      'createTable',
      'addColumn',
      'createIndex',
      'beginTransaction',
      'prepareUpdate',
      'setColumn',
      'update',
      'commitTransaction',
      'externalRestore',
      'move',
      'retrieveColumn',
    ] as const)
      expect(apis).toContain(api);
  });

  it('stopped by --stop-after: exit 130 and no set under the final name', async () => {
    const s = await openNative();
    const dir = await tempDirectory('ese-demo-esent-stop-');
    const r = await cli([
      'demo',
      '--engine',
      'esent',
      '--esent-library',
      s.host.library,
      '--dir',
      dir,
      '--size',
      '2',
      '--rate',
      '1',
      '--stop-after',
      '300',
      '--no-progress',
    ]);
    expect(r.code, JSON.stringify(r.json)).toBe(130);
    expect(r.json).toMatchObject({ outcome: 'stopped' });
    const backups = path.join(dir, 'backups');
    expect(fs.existsSync(backups) ? fs.readdirSync(backups) : []).toEqual([]); // no set, no temporary directory, no lock
  });
});
