/**
 * bench:ffi, last part — the koffi read path against reads at C speed (issue 11 target 3). Over the pread
 * build of the esent shim (test/native/esent-shim-file-pread.c: JetOpenFileInstanceW/JetReadFileInstance/
 * JetCloseFileInstance open/pread/close the file in C, no JavaScript on the read path), one database file of
 * `BENCH_READ_PATH_MIB` MiB (default 256) is read start to end, median of alternating rounds, page cache warm:
 * - native: `shim_native_read_file` — C preads the whole file into one buffer, `readSize` bytes at a time
 *   (one synchronous koffi call for the whole file: the C-speed baseline);
 * - the koffi backend (`createEsentBackend`): Open, one `readFile` per `readSize` bytes, Close — with its
 *   read worker thread (default) into a page-aligned caller buffer (read into directly) and into a plain
 *   `new Uint8Array` (read into an aligned buffer, then copied), and with `reads: 'async'` (a koffi `.async`
 *   call per read, the design before) into the aligned buffer;
 * - a read-ahead prototype (bench/read-ahead-ceiling.ts, not part of the binding): a thread two reads ahead,
 *   each chunk copied into the caller's buffer — what read-ahead could reach here, without its rules.
 * The read worker's hand-off is broken down per read (thread wake-up, native call, main-thread wake-up,
 * JavaScript between reads; medians over every call of the rounds), and so is the prototype's main thread
 * (waiting, copying) and thread (reading, waiting for a free slot; means).
 * Prints MiB/s for each read size given (bench:ffi: `BENCH_READ_KIB`, default 1 MiB, then the runner's default read
 * `DEFAULT_READ_SIZE` when it differs) and ends with
 * `ratio koffi-backend/native-reads: 0.NN` (worker, aligned buffer) at the last size: the size the runner reads with.
 */
import koffi from 'koffi';
import type { EmbeddedEngine } from '../src/engine/index.js';
import { createEsentBackend, type EsentBackend } from '../src/esent/index.js';
import { JET_bit, type JetHandle, type JetInstance } from '../src/jet/index.js';
import { buildEsentShim } from '../test/native/build-esent-shim.js';
import { startEsentShimHost } from '../test/native/esent-shim-host.js';
import { fillBenchDatabase } from './fill-bench-database.js';
import { ReadAheadPrototype } from './read-ahead-ceiling.js';

const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Read the database of `inst` once through `api` (Open → reads → Close, timed); resolves with bytes and seconds. */
async function readThrough(
  api: EsentBackend,
  inst: JetInstance,
  buffer: Uint8Array,
  stream?: (handle: JetHandle) => Promise<number>,
): Promise<{ bytes: number; seconds: number }> {
  await api.beginExternalBackup(inst, 0);
  try {
    const [db] = await api.getAttachInfo(inst);
    const t0 = now();
    const { handle } = await api.openFile(inst, db!);
    let bytes = 0;
    if (stream) bytes = await stream(handle);
    else for (let n; (n = await api.readFile(inst, handle, buffer)) > 0;) bytes += n;
    await api.closeFile(inst, handle);
    return { bytes, seconds: now() - t0 };
  } finally {
    await api.endExternalBackup(inst, JET_bit.BackupEndAbort);
  }
}

/**
 * Measure and print the read path; the last line printed is the ratio line.
 *
 * @param engine the bench's embedded engine (it answers Begin, GetAttachInfo and End over the shim)
 * @param readSizes bytes per read, each measured in turn with every reader at that size; the ratio line is the last size's
 */
export async function measureReadPath(engine: EmbeddedEngine, readSizes: readonly number[]): Promise<void> {
  const sizeMiB = Number(process.env.BENCH_READ_PATH_MIB ?? 256);
  const rounds = Number(process.env.BENCH_READ_PATH_ROUNDS ?? 9);
  const library = buildEsentShim('SHIM_FILE_READ_PREAD');
  const host = startEsentShimHost(engine, { library });
  const worker = createEsentBackend({ library });
  const pool = createEsentBackend({ library, reads: 'async' });
  const ahead = new ReadAheadPrototype(
    library,
    (n) => worker.library.alignedBuffer(n),
    (b) => BigInt(koffi.address(b)),
  );
  try {
    const inst = await engine.createInstance('bench-read-path', { logFileSize: 8 * 1024 * 1024 });
    await engine.init(inst);
    const db = await engine.createDatabase(inst, 'read-path.edb');
    await fillBenchDatabase(db, sizeMiB);
    await engine.beginExternalBackup(inst, 0);
    const [file] = await engine.getAttachInfo(inst);
    await engine.endExternalBackup(inst, JET_bit.BackupEndAbort);

    const native = koffi.load(library).func('int64_t shim_native_read_file(const char *path, void *pv, uint32_t cb)');
    let ratio = 0;
    for (const readSize of readSizes) ratio = await measureAt(readSize);
    console.log(`ratio koffi-backend/native-reads: ${ratio.toFixed(2)}`);

    /** One read size: every reader side by side; prints its block, returns the worker's ratio to native. */
    async function measureAt(readSize: number): Promise<number> {
      const aligned = worker.library.alignedBuffer(readSize);
      const plain = new Uint8Array(readSize);
      const readers: Record<string, () => Promise<{ bytes: number; seconds: number }>> = {
        'native reads (C pread loop)': async () => {
          const t0 = now();
          const n = Number(native(file!, aligned, readSize));
          if (n < 0) throw new Error(`shim_native_read_file(${file}) failed: errno ${-n}`);
          return { bytes: n, seconds: now() - t0 };
        },
        'koffi backend, read worker, aligned buffer': () => readThrough(worker, inst, aligned),
        'koffi backend, read worker, plain Uint8Array': () => readThrough(worker, inst, plain),
        "koffi backend, reads: 'async', aligned buffer": () => readThrough(pool, inst, aligned),
        'read-ahead prototype (bench only), depth 2 + copy': () =>
          readThrough(worker, inst, aligned, (handle) => ahead.stream(BigInt(inst), BigInt(handle), plain)),
      };
      const times: Record<string, number[]> = Object.fromEntries(Object.keys(readers).map((k) => [k, []]));
      let bytes = 0;
      for (const read of Object.values(readers)) bytes = (await read()).bytes; // warm: page cache, threads, code
      worker.library.readWorker(inst)!.sampleHandOff(1 << 14); // every call of the rounds below
      for (let r = 0; r < rounds; r++) {
        for (const [name, read] of Object.entries(readers)) {
          const got = await read();
          if (got.bytes !== bytes) throw new Error(`${name} read ${got.bytes} bytes, the file has ${bytes}`);
          times[name]!.push(got.seconds);
        }
      }
      const mibs = (name: string) => bytes / 2 ** 20 / median(times[name]!);
      console.log(
        `read path over the pread shim (${(bytes / 2 ** 20).toFixed(0)} MiB database file, ${readSize / 1024} KiB reads, ${bytes / readSize} reads a pass, median of ${rounds} alternating rounds, page cache warm):`,
      );
      const names = Object.keys(readers);
      for (const name of names)
        console.log(
          `  ${name.padEnd(48)} ${mibs(name).toFixed(0).padStart(6)} MiB/s  (${(median(times[name]!) * 1e3).toFixed(1)} ms a pass, ${((median(times[name]!) / (bytes / readSize)) * 1e6).toFixed(1)} µs a read)`,
        );
      // The hand-off alone: a call that does nothing (shim_stack_probe(0)) on the read thread and via .async.
      const thread = worker.library.readWorker(inst)!;
      const w = { ...thread.stats }; // the reads' own figures, before the empty calls below
      thread.stats.calls = 0;
      thread.stats.nativeMs = 0;
      const nothing = koffi.load(library).func('uint32_t shim_stack_probe(uint32_t kib)');
      const hop = async (once: () => Promise<unknown>, n = 2000) => {
        for (let k = 0; k < 200; k++) await once();
        const t0 = now();
        for (let k = 0; k < n; k++) await once();
        return ((now() - t0) / n) * 1e6;
      };
      const hopWorker = await hop(() => thread.probeStack(0));
      const hopAsync = await hop(
        () => new Promise((resolve, reject) => nothing.async(0, (e: unknown, r: number) => (e ? reject(e) : resolve(r)))),
      );
      console.log(
        `  read worker: ${((w.nativeMs / w.calls) * 1e3).toFixed(1)} µs a read inside the native call on its thread (${w.calls} calls of every pass, the final 0-byte ones included); the rest of a read is hand-off and the binding`,
      );
      const parts = thread.handOffMedians();
      if (parts)
        console.log(
          `  read worker, medians of every call (µs): thread wake-up ${parts.wakeThread.toFixed(1)}, native call ${parts.native.toFixed(1)}, main-thread wake-up ${parts.wakeMain.toFixed(1)}, JavaScript between reads ${parts.between.toFixed(1)}`,
        );
      thread.sampleHandOff(0);
      const perRead = median(times[names[0]!]!) / (bytes / readSize);
      console.log(
        `  hand-off of an empty call: read thread ${hopWorker.toFixed(1)} µs, koffi .async ${hopAsync.toFixed(1)} µs; with one native read (${(perRead * 1e6).toFixed(1)} µs) the ceiling without read-ahead is ${(perRead / (perRead + hopWorker / 1e6)).toFixed(2)}`,
      );
      console.log(
        `  read-ahead prototype, main thread, µs a chunk: waiting for the slot ${((ahead.stats.waitMs / ahead.stats.chunks) * 1e3).toFixed(1)}, copying it into the caller's buffer ${((ahead.stats.copyMs / ahead.stats.chunks) * 1e3).toFixed(1)} (means over ${ahead.stats.chunks} chunks); its thread: reading ${((ahead.stats.threadReadMs / ahead.stats.chunks) * 1e3).toFixed(1)}, waiting for a free slot ${((ahead.stats.threadWaitMs / ahead.stats.chunks) * 1e3).toFixed(1)}`,
      );
      Object.assign(ahead.stats, { chunks: 0, waitMs: 0, copyMs: 0, threadWaitMs: 0, threadReadMs: 0 });
      const base = mibs(names[0]!);
      console.log(
        `  plain Uint8Array / native: ${(mibs(names[2]!) / base).toFixed(2)}; .async / native: ${(mibs(names[3]!) / base).toFixed(2)}; read-ahead prototype / native: ${(mibs(names[4]!) / base).toFixed(2)} (not in the binding: a ceiling)`,
      );
      console.log(`  read worker, aligned buffer / native: ${(mibs(names[1]!) / base).toFixed(2)}`);
      return mibs(names[1]!) / base;
    }
  } finally {
    await ahead.close();
    host.close();
  }
}
