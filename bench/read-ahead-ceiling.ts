/**
 * bench:ffi, read path — what read-ahead would reach on this machine, measured, not built into the binding
 * (docs/esent-binding.md says why). A prototype thread reads one open file start to end with synchronous
 * JetReadFileInstance calls into two page-aligned slots, never more than two reads ahead of the caller; the
 * caller's `read` copies the next slot into its buffer (waiting with Atomics.waitAsync when the slot is not
 * filled yet) and frees it. This is the pipeline a depth-2 read-ahead would run, without any of the rules
 * that would make it safe for ESE (stop, errors ahead, a changed cb): a ceiling, for the benchmark only.
 */
import { Worker } from 'node:worker_threads';
import { koffiForWorker } from '../src/ffi/load-koffi.js';

const DEPTH = 2;
// control: [produced, consumed, quit], then per slot [err, cbActual]
const [PRODUCED, CONSUMED, QUIT] = [0, 1, 2];
const slotAt = (k: number) => 4 + 2 * k;

const source = `'use strict';
const { workerData, parentPort } = require('node:worker_threads');
const koffi = require(workerData.modulePath);
koffi.config({ ...koffi.config(), ...workerData.config });
const read = koffi.load(workerData.library).func(
  'int32_t JetReadFileInstance(uintptr_t instance, uintptr_t hfFile, uintptr_t pv, uint32_t cb, _Out_ uint32_t *pcbActual)');
parentPort.on('message', ({ control, instance, handle, slots, cb }) => {
  const ctl = new Int32Array(control);
  const ms = new Float64Array(control, ${4 * slotAt(DEPTH)}, 2);
  const pcb = [0];
  for (let seq = 0; ; seq++) {
    const t0 = performance.now();
    for (let c; seq - (c = Atomics.load(ctl, ${CONSUMED})) >= ${DEPTH};) Atomics.wait(ctl, ${CONSUMED}, c, 1000);
    const t1 = performance.now();
    ms[0] += t1 - t0;
    if (Atomics.load(ctl, ${QUIT})) break;
    const k = seq % ${DEPTH};
    pcb[0] = 0;
    const err = read(instance, handle, slots[k], cb, pcb);
    ms[1] += performance.now() - t1;
    ctl[${slotAt(0)} + 2 * k] = err;
    ctl[${slotAt(0)} + 2 * k + 1] = pcb[0];
    Atomics.store(ctl, ${PRODUCED}, seq + 1);
    Atomics.notify(ctl, ${PRODUCED});
    if (err < 0 || pcb[0] < cb) break; // EOF or an error: nothing after it is read
  }
});
`;

type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** One prototype read-ahead thread over `library`; `stream` reads one open handle to its end. */
export class ReadAheadPrototype {
  private readonly worker: Worker;
  /** Chunks delivered, and the main thread's ms spent waiting for a slot and copying slots (sums). */
  readonly stats = { chunks: 0, waitMs: 0, copyMs: 0, threadWaitMs: 0, threadReadMs: 0 };

  constructor(
    library: string,
    private readonly alignedBuffer: (size: number) => Uint8Array,
    private readonly address: (b: Uint8Array) => bigint,
  ) {
    const { modulePath, config } = koffiForWorker();
    this.worker = new Worker(source, { eval: true, workerData: { modulePath, config, library }, stdout: false, stderr: false });
    this.worker.unref();
  }

  /** Read `handle` to its end, each chunk copied into `buffer` as a caller's readFile would get it; the bytes read. */
  async stream(instance: bigint, handle: bigint, buffer: Uint8Array): Promise<number> {
    const cb = buffer.length;
    const slots = Array.from({ length: DEPTH }, () => this.alignedBuffer(cb));
    const ctl = new Int32Array(new SharedArrayBuffer(4 * slotAt(DEPTH) + 16));
    const ms = new Float64Array(ctl.buffer, 4 * slotAt(DEPTH), 2);
    this.worker.ref();
    this.worker.postMessage({ control: ctl.buffer, instance, handle, slots: slots.map(this.address), cb });
    let bytes = 0;
    try {
      for (let seq = 0; ; seq++) {
        const t0 = performance.now();
        for (let p; (p = Atomics.load(ctl, PRODUCED)) <= seq;) {
          const w = waitAsync(ctl, PRODUCED, p);
          if (w.async) await w.value;
        }
        const t1 = performance.now();
        const k = seq % DEPTH;
        const [err, n] = [ctl[slotAt(k)]!, ctl[slotAt(k) + 1]!];
        if (err < 0) throw new Error(`JetReadFileInstance answered ${err}`);
        buffer.set(slots[k]!.subarray(0, n)); // the caller's copy of the chunk
        this.stats.chunks++;
        this.stats.waitMs += t1 - t0;
        this.stats.copyMs += performance.now() - t1;
        Atomics.store(ctl, CONSUMED, seq + 1);
        Atomics.notify(ctl, CONSUMED);
        bytes += n;
        if (n < cb) return bytes;
      }
    } finally {
      this.stats.threadWaitMs += ms[0]!;
      this.stats.threadReadMs += ms[1]!;
      Atomics.store(ctl, QUIT, 1);
      Atomics.notify(ctl, CONSUMED);
      this.worker.unref();
      void slots; // the slots stay reachable until the thread's last read has returned (it ends at EOF)
    }
  }

  /** End the thread. */
  close(): Promise<number> {
    return this.worker.terminate();
  }
}
