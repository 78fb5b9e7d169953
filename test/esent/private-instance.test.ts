// The calls the CLI needs to open a database no other process holds, in a private instance, then list
// this process's instances: JetCreateInstance2W … JetGetInstanceInfoW, each across the C ABI.
import { describe, expect, it } from 'vitest';
import { JET_param } from '../../src/esent/index.js';
import { JET_bit, JET_err } from '../../src/jet/index.js';
import { fullBackup } from '../conformance/helpers.js';
import { filledInstance, noCompiler, openNative, READ_SIZE, tempDirectory } from './native-session.js';

describe.skipIf(noCompiler)('esent over the native library: a private instance', () => {
  it('create, set parameters, init, begin a session, attach, list, back up, terminate', async () => {
    const s = await openNative();
    const maker = await filledInstance(s.engine, 'maker', 'shared.edb', 8);
    const [dbPath] = s.engine.instanceInfo(maker).databases;
    await s.api.term(maker, JET_bit.TermComplete); // releases the database, consistent
    const lib = s.api.library;

    const created = await lib.JetCreateInstance2W('cli-😀', 'CLI instance', 0);
    expect(created.err).toBe(0);
    expect(created.instance).toBeGreaterThan(2n ** 53n); // a pointer-sized value, exact through _Out_ JET_INSTANCE *
    const inst = created.instance;
    expect(await lib.JetSetSystemParameterW(null, 0n, JET_param.SystemPath, 0n, '/ignored/global/')).toBe(0);
    expect(await lib.JetSetSystemParameterW(inst, 0n, JET_param.DatabasePageSize, 4096n, null)).toBe(0);
    expect(await lib.JetSetSystemParameterW(inst, 0n, JET_param.BaseName, 0n, 'cli')).toBe(0);
    expect(await lib.JetSetSystemParameterW(inst, 0n, JET_param.LogFileSize, 64n, null)).toBe(0);
    expect(await lib.JetInit(inst)).toEqual({ err: 0, instance: inst });
    expect(await lib.JetSetSystemParameterW(inst, 0n, JET_param.DatabasePageSize, 8192n, null)).toBe(JET_err.AlreadyInitialized);

    const session = await lib.JetBeginSession(inst);
    expect(session.err).toBe(0);
    expect(await lib.JetAttachDatabaseW(session.sesid + 1n, dbPath!, 0)).toBe(-1104); // JET_errInvalidSesid
    expect(await lib.JetAttachDatabaseW(session.sesid, `${dbPath!}.missing`, 0)).toBe(JET_err.FileNotFound);
    expect(await lib.JetAttachDatabaseW(session.sesid, dbPath!, 0)).toBe(0);

    const listed = await lib.JetGetInstanceInfoW();
    expect(listed.err).toBe(0);
    expect(listed.instances).toContainEqual({ instance: inst, name: 'cli-😀', databases: [dbPath] });
    expect(listed.instances.map((i) => i.instance)).not.toContain(maker);

    const result = await fullBackup(s.api, inst, await tempDirectory(), { readSize: READ_SIZE });
    expect(result.sourceDatabases).toEqual([dbPath]);
    expect(result.logInfo.baseName).toBe('cli');

    expect(await lib.JetTerm2(inst, JET_bit.TermComplete)).toBe(0);
    expect((await lib.JetGetInstanceInfoW()).instances.map((i) => i.instance)).not.toContain(inst);
    expect(await lib.JetInit(inst)).toMatchObject({ err: JET_err.InvalidParameter });
  });
});
