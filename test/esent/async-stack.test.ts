// Issue 12 §1 "Stack": koffi runs each .async call on its own stack (128 KiB by default); ESE needs more
// (page-sized locals, recovery in JetInit). The binding raises it to 1 MiB before the first load; here a
// shim export that uses several hundred KiB of stack proves both sides: it kills a process on koffi's
// default and passes through the binding, and a whole backup passes over a shim whose every call does so.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createEmbeddedEngine } from '../../src/engine/index.js';
import { ESENT_ASYNC_STACK_SIZE, createEsentBackend } from '../../src/esent/index.js';
import { JET_bit } from '../../src/jet/index.js';
import { fill, streamFile } from '../conformance/helpers.js';
import { buildEsentShim } from '../native/build-esent-shim.js';
import { startEsentShimHost } from '../native/esent-shim-host.js';
import { READ_SIZE, noCompiler, tempDirectory } from './native-session.js';

const child = fileURLToPath(new URL('../native/stack-probe-child.ts', import.meta.url));
/** Several hundred KiB: well past koffi's 128 KiB default, well inside the binding's 1 MiB. */
const KIB = 512;

function probe(kib: number, mode: 'default' | 'esent') {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, buildEsentShim(), String(kib), mode], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(noCompiler)('esent: the async stack', () => {
  it(`a ${KIB} KiB stack call through .async kills the process on koffi's default and passes after configureKoffiForEsent()`, () => {
    const crashed = probe(KIB, 'default');
    expect(crashed.stdout).not.toContain('probe ok');
    expect(crashed.signal ?? `exit ${crashed.status}`, crashed.stderr).toBe('SIGSEGV');
    const passed = probe(KIB, 'esent');
    expect(passed.stdout.trim(), passed.stderr).toBe(`probe ok ${ESENT_ASYNC_STACK_SIZE}`);
  });

  it('the binding configures koffi for ESE before its first load (1 MiB async stack)', async () => {
    const engine = await createEmbeddedEngine({ directory: await tempDirectory() });
    const host = startEsentShimHost(engine, { library: buildEsentShim() });
    onTestFinished(async () => {
      host.close();
      await engine.close();
    });
    createEsentBackend({ library: host.library });
    expect(koffi.config().async_stack_size).toBeGreaterThanOrEqual(1024 * 1024);
  });

  it(`a whole backup over a shim whose every Jet* call uses ${KIB} KiB of stack`, async () => {
    const library = buildEsentShim(`SHIM_CALL_STACK_KIB=${KIB}`);
    const engine = await createEmbeddedEngine({ directory: await tempDirectory() });
    const host = startEsentShimHost(engine, { library });
    onTestFinished(async () => {
      host.close();
      await engine.close();
    });
    const inst = await engine.createInstance('deep', { logFileSize: 64 * 1024 });
    await engine.init(inst);
    const db = await engine.createDatabase(inst, 'deep.edb');
    await fill(db, 24, 2048);
    const api = createEsentBackend({ library });
    await api.beginExternalBackup(inst, 0);
    const [file] = await api.getAttachInfo(inst);
    const streamed = await streamFile(api, inst, file!, READ_SIZE);
    expect(streamed.data.length).toBeGreaterThan(0);
    for (const log of await api.getLogInfo(inst)) await streamFile(api, inst, log, READ_SIZE);
    await api.endExternalBackup(inst, JET_bit.BackupEndNormal);
    expect(engine.lastBackup(inst)?.end).toBe('normal');
    expect(host.calls.length).toBeGreaterThan(5);
  });
});
