// UTF-16 both ways across the C ABI: names go out as char16_t strings, lists come back as double-NUL lists.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JET_bit } from '../../src/jet/index.js';
import { fullBackup } from '../conformance/helpers.js';
import { filledInstance, noCompiler, openNative, READ_SIZE, tempDirectory } from './native-session.js';

// Non-ASCII (Latin-1, CJK, combining mark) and non-BMP (surrogate pairs: emoji, musical symbol).
const INSTANCE = 'données-日本-e\u0301-😀';
const DATABASE = '𝄞-ü-数据.edb';

describe.skipIf(noCompiler)('esent over the native library: Unicode paths', () => {
  it('a full backup of a database whose directory and name hold non-ASCII and non-BMP characters', async () => {
    const s = await openNative();
    const inst = await filledInstance(s.engine, INSTANCE, DATABASE);
    const expected = s.engine.instanceInfo(inst).databases;
    expect(expected[0]).toContain('😀');
    const result = await fullBackup(s.api, inst, await tempDirectory(), { readSize: READ_SIZE });
    expect(result.sourceDatabases).toEqual(expected); // decoded from the UTF-16 list the C side filled
    expect(path.basename(result.databases[0]!)).toBe(DATABASE);
    for (const log of result.logInfo.files) expect(log.startsWith(path.dirname(expected[0]!))).toBe(true);
    expect(s.engine.lastBackup(inst)?.end).toBe('normal');
    // The shim saw the same name the binding sent: the path came back through JetOpenFileInstanceW intact.
    const opened = s.host.calls.filter((c) => c.api === 'open').map((c) => c.text);
    expect(opened[0]).toBe(expected[0]);
    const restored = await s.engine.restore(result.files, { directory: path.join(s.directory, 'restored') });
    expect(restored.databases[0]!.size).toBe(24);
  });

  it('a non-BMP name that is not a database reaches the engine unchanged and answers -1203', async () => {
    const s = await openNative();
    const inst = await filledInstance(s.engine, 'plain');
    await s.api.beginExternalBackup(inst, 0);
    const [db] = await s.api.getAttachInfo(inst);
    const other = `${db!}-😀`;
    await expect(s.api.openFile(inst, other)).rejects.toMatchObject({ err: -1203, api: 'JetOpenFileInstanceW' });
    expect(s.host.calls.at(-1)?.text).toBe(other);
    await s.api.endExternalBackup(inst, JET_bit.BackupEndAbort);
  });
});
