// Issue 11 target 3: the binding's read path — one worker thread per streaming instance calling
// JetReadFileInstance synchronously — over the pread build of the shim (the file read in C, no JavaScript
// on the read path) and over the default build (the engine behind a trampoline, reads held at will).
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import koffi from 'koffi';
import { configureKoffiForEsent, createEsentBackend, EsentReadWorker, loadEsentLibrary, type EsentBackend } from '../../src/esent/index.js';
import { ESENT_SYNC_STACK_SIZE } from '../../src/ffi/load-koffi.js';
import { JET_bit, JET_err, JetError, type JetInstance } from '../../src/jet/index.js';
import { streamFile } from '../conformance/helpers.js';
import { buildEsentShim } from '../native/build-esent-shim.js';
import { filledInstance, noCompiler, openNative, READ_SIZE } from './native-session.js';

const child = fileURLToPath(new URL('../native/stack-probe-child.ts', import.meta.url));
const preadShim = () => buildEsentShim('SHIM_FILE_READ_PREAD');

/** Read `file` to the end through `api` into `buffer`, one readFile at a time; the bytes and the call count. */
async function readAll(api: EsentBackend, inst: JetInstance, file: string, buffer: Uint8Array) {
  const { handle, size } = await api.openFile(inst, file);
  const chunks: Buffer[] = [];
  let calls = 0;
  for (let n; (n = await api.readFile(inst, handle, buffer)) > 0; calls++) chunks.push(Buffer.from(buffer.subarray(0, n)));
  await api.closeFile(inst, handle);
  return { data: Buffer.concat(chunks), size, calls };
}

async function rejection(p: Promise<unknown>): Promise<JetError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(JetError);
  return e as JetError;
}

describe.skipIf(noCompiler)('esent read path over the pread shim (the file read in C)', () => {
  it('reads every byte of the database file, into an aligned buffer directly and into a plain one, on the instance’s read thread', async () => {
    const s = await openNative(undefined, preadShim());
    const inst = await filledInstance(s.engine, 'pread', 'test.edb', 200);
    await s.api.beginExternalBackup(inst, 0);
    const [db] = await s.api.getAttachInfo(inst);
    const onDisk = await readFile(db!);
    expect(onDisk.length).toBeGreaterThan(4 * READ_SIZE);
    const aligned = s.api.library.alignedBuffer(READ_SIZE);
    expect(s.api.library.isAligned(aligned)).toBe(true);
    const plain = new Uint8Array(READ_SIZE + 1).subarray(1); // never page-aligned
    expect(s.api.library.isAligned(plain)).toBe(false);
    for (const buffer of [aligned, plain]) {
      const got = await readAll(s.api, inst, db!, buffer);
      expect(got.size).toBe(BigInt(onDisk.length));
      expect(got.data.equals(onDisk)).toBe(true);
      expect(got.calls).toBe(Math.ceil(onDisk.length / READ_SIZE));
    }
    const worker = s.api.library.readWorker(inst);
    expect(s.api.library.reads).toBe('worker');
    expect(worker?.stats.calls).toBe(2 * (Math.ceil(onDisk.length / READ_SIZE) + 1)); // one ESE call per readFile, the final 0 included
    expect(worker!.threadId).toBeGreaterThan(0);
    // the hand-off's parts are measured on every call: both wake-ups take time, and back-to-back reads count their gaps
    expect(worker!.stats.wakeThreadMs + worker!.stats.wakeMainMs).toBeGreaterThan(0);
    expect(worker!.stats.betweenCalls).toBeGreaterThan(0);
    worker!.sampleHandOff(16);
    await readAll(s.api, inst, db!, aligned);
    const parts = worker!.handOffMedians()!;
    expect(parts.native).toBeGreaterThan(0); // the pread of a 3-page chunk takes time on the thread
    expect(Number.isFinite(parts.wakeThread + parts.wakeMain + parts.between)).toBe(true);
    await s.api.endExternalBackup(inst);
    // Term ends the instance's read thread
    await s.api.term(inst, JET_bit.TermAbrupt);
    expect(s.api.library.readWorker(inst)).toBeUndefined();
  });

  it("reads: 'async' reads the same bytes through koffi .async calls", async () => {
    const s = await openNative(undefined, preadShim());
    const api = createEsentBackend({ library: s.host.library, reads: 'async' });
    const inst = await filledInstance(s.engine, 'pread-async', 'test.edb', 100);
    await api.beginExternalBackup(inst, 0);
    const [db] = await api.getAttachInfo(inst);
    const got = await readAll(api, inst, db!, new Uint8Array(READ_SIZE));
    expect(got.data.equals(await readFile(db!))).toBe(true);
    expect(api.library.readWorker(inst)).toBeUndefined();
    await api.endExternalBackup(inst);
  });

  it('passes ESE’s error codes through the read thread: -520 without a session, -801 after a stop, -1003 for a handle not open', async () => {
    const s = await openNative(undefined, preadShim());
    const inst = await filledInstance(s.engine, 'pread-errors', 'test.edb', 200);
    await s.api.beginExternalBackup(inst, 0);
    const [db] = await s.api.getAttachInfo(inst);
    const { handle } = await s.api.openFile(inst, db!);
    const buffer = s.api.library.alignedBuffer(READ_SIZE);
    expect(await s.api.readFile(inst, handle, buffer)).toBe(READ_SIZE);
    // through the library directly (the backend refuses unknown handles before ESE): the shim's own -1003
    const direct = await s.api.library.JetReadFileInstance(inst, handle + 7n, buffer, READ_SIZE);
    expect(direct.err).toBe(JET_err.InvalidParameter);
    expect((await rejection(s.api.readFile(inst, handle + 7n, buffer))).err).toBe(JET_err.InvalidParameter);
    s.api.stopBackup(inst);
    const stopped = await rejection(s.api.readFile(inst, handle, buffer));
    expect(stopped).toMatchObject({ err: JET_err.BackupAbortByServer, api: 'JetReadFileInstance' });
    await s.api.closeFile(inst, handle); // Close works after a stop
    await s.api.endExternalBackup(inst);
    const none = await s.api.library.JetReadFileInstance(inst, handle, buffer, READ_SIZE);
    expect(none.err).toBe(JET_err.NoBackup);
    expect((await rejection(s.api.readFile(inst, handle, buffer))).err).toBe(JET_err.NoBackup);
    expect(s.api.library.readWorker(inst)!.stats.calls).toBeGreaterThanOrEqual(4);
  });
});

describe.skipIf(noCompiler)('esent read thread: its lifetime', () => {
  it('ends after the idle time without a call; the next read starts another thread', async () => {
    const s = await openNative(undefined, preadShim());
    const lib = loadEsentLibrary(s.host.library, { readThreadIdleMs: 200 });
    const inst = await filledInstance(s.engine, 'idle', 'test.edb', 100);
    await s.api.beginExternalBackup(inst, 0);
    const [db] = await s.api.getAttachInfo(inst);
    const { handle } = await s.api.openFile(inst, db!);
    const buffer = lib.alignedBuffer(READ_SIZE);
    expect((await lib.JetReadFileInstance(inst, handle, buffer, READ_SIZE)).cbActual).toBe(READ_SIZE);
    const first = lib.readWorker(inst)!;
    expect(first.threadId).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 600));
    expect(lib.readWorker(inst)).toBeUndefined();
    expect((await lib.JetReadFileInstance(inst, handle, buffer, READ_SIZE)).cbActual).toBe(READ_SIZE);
    expect(lib.readWorker(inst)!.threadId).not.toBe(first.threadId);
    await s.api.closeFile(inst, handle);
    await s.api.endExternalBackup(inst);
  });
});

describe.skipIf(noCompiler)('esent read thread over the trampoline shim', () => {
  it('a stop while the read thread waits inside JetReadFileInstance: that read completes with its bytes, the next answers -801', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    let hold = false;
    const s = await openNative({
      async after(c) {
        if (c.api !== 'read' || !hold) return;
        hold = false;
        entered();
        await held;
      },
    });
    const inst = await filledInstance(s.engine, 'held');
    await s.api.beginExternalBackup(inst, 0);
    const [db] = await s.api.getAttachInfo(inst);
    const clean = await streamFile(s.api, inst, db!, READ_SIZE); // the engine streams its own image of the file
    const { handle } = await s.api.openFile(inst, db!);
    const buffer = s.api.library.alignedBuffer(3 * 4096);
    hold = true;
    const inFlight = s.api.readFile(inst, handle, buffer);
    await inside; // the instance's read thread is blocked in JetReadFileInstance
    expect(s.api.library.readWorker(inst)).toBeDefined();
    s.api.stopBackup(inst); // synchronous, on the main thread, while the read is in flight
    release();
    expect(await inFlight).toBe(buffer.length);
    expect(Buffer.from(buffer).equals(clean.data.subarray(0, buffer.length))).toBe(true);
    expect(await rejection(s.api.readFile(inst, handle, buffer))).toMatchObject({ err: JET_err.BackupAbortByServer });
    await s.api.closeFile(inst, handle);
    await s.api.endExternalBackup(inst);
    expect(s.engine.lastBackup(inst)?.end).toBe('abortedByServer');
  });
});

describe.skipIf(noCompiler)('esent read thread: its stack', () => {
  const probe = (kib: number) =>
    spawnSync(process.execPath, ['--import', 'tsx', child, buildEsentShim(), String(kib), 'worker'], { encoding: 'utf8', timeout: 60_000 });

  it(`a synchronous call on the read thread has more than 1 MiB of stack (koffi's sync stack, ${ESENT_SYNC_STACK_SIZE / 2 ** 20} MiB), and the probe dies past it`, () => {
    expect(ESENT_SYNC_STACK_SIZE).toBeGreaterThanOrEqual(1024 * 1024);
    const ok = probe(1536); // 1.5 MiB: more than ESE's 1 MiB
    expect(ok.stdout, ok.stderr).toMatch(new RegExp(`^probe ok ${ESENT_SYNC_STACK_SIZE} on thread \\d+`));
    // the probe is real: well past the configured stack it kills the process
    const past = probe((ESENT_SYNC_STACK_SIZE / 1024) * 2);
    expect(past.stdout).not.toContain('probe ok');
    expect(past.signal ?? `exit ${past.status}`, past.stderr).toBe('SIGSEGV');
  });
});

describe('esent read thread: failures', () => {
  it('a thread that cannot load the library rejects each read with the reason, and keeps rejecting', async () => {
    configureKoffiForEsent();
    const w = new EsentReadWorker({
      library: '/nonexistent/libesent-missing.so',
      readPrototype: 'int32_t JetReadFileInstance(uintptr_t, uintptr_t, uintptr_t, uint32_t, _Out_ uint32_t *)',
      pointerBits: 64,
      address: (b) => koffi.address(b) as bigint,
    });
    const bytes = new Uint8Array(8192);
    await expect(w.read(1n, 1n, bytes, 4096)).rejects.toThrow(
      /esent read worker failed \(library \/nonexistent\/libesent-missing\.so\): Failed to load/,
    );
    await expect(w.read(1n, 1n, bytes, 4096)).rejects.toThrow(/esent read worker failed/);
    expect(w.stats.calls).toBe(0);
  });
});
