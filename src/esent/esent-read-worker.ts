import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { koffiForWorker } from '../ffi/load-koffi.js';

// One dedicated thread that calls JetReadFileInstance SYNCHRONOUSLY through its own koffi (~0.2 µs a call)
// instead of a koffi `.async` call per read (a hand-off to a libuv pool thread and back).
// The main thread hands a request over in a SharedArrayBuffer (Atomics.notify) and awaits its completion
// with Atomics.waitAsync: one ESE call per request, into the caller's memory by address, nothing read ahead.

/** Worker state word (control[STATE]). */
const IDLE = 0;
const REQUEST = 1;
const DONE = 2;
const QUIT = 3;
/** Set by the main thread when the worker died, waking a wait for DONE. */
const FAILED = 4;
/** Operations (control[OP]). */
const OP_READ = 1;
const OP_PROBE = 2;
/** control[ERR] when koffi itself threw in the worker (its message is on the error port before DONE). */
const THROWN = 0x7fff_ffff;
const [STATE, OP, CB, ERR, RESULT] = [0, 1, 2, 3, 4];

/**
 * The worker's source (CommonJS, run with `eval: true` so that it needs no loader under tsx, vitest or the
 * build). It loads koffi as src/ffi/load-koffi.ts says (sync stack ≥ 1 MiB), then serves requests until QUIT.
 */
const source = `'use strict';
const { workerData } = require('node:worker_threads');
const koffi = require(workerData.modulePath);
koffi.config({ ...koffi.config(), ...workerData.config });
const lib = koffi.load(workerData.library);
const read = lib.func(workerData.readPrototype);
let probe;
const ctl = new Int32Array(workerData.control, 0, 8);
const args = new BigUint64Array(workerData.control, 32, 3);
const took = new Float64Array(workerData.control, 56, 1);
const at = new Float64Array(workerData.control, 64, 2);
const clock = () => performance.timeOrigin + performance.now();
const ptr = workerData.pointerBits === 32 ? (v) => Number(v) : (v) => v;
const pcb = [0];
for (;;) {
  const state = Atomics.load(ctl, ${STATE});
  if (state === ${QUIT}) break;
  if (state !== ${REQUEST}) { Atomics.wait(ctl, ${STATE}, state, 1000); continue; }
  let err = 0;
  let result = 0;
  at[0] = clock();
  const t0 = performance.now();
  try {
    if (ctl[${OP}] === ${OP_READ}) {
      pcb[0] = 0;
      err = read(ptr(args[0]), ptr(args[1]), ptr(args[2]), ctl[${CB}] >>> 0, pcb);
      result = pcb[0];
    } else {
      probe ??= lib.func('uint32_t shim_stack_probe(uint32_t kib)');
      result = probe(ctl[${CB}] >>> 0);
    }
  } catch (e) {
    err = ${THROWN};
    workerData.errors.postMessage(String((e && e.message) || e));
  }
  took[0] = performance.now() - t0;
  at[1] = clock();
  ctl[${ERR}] = err;
  ctl[${RESULT}] = result;
  Atomics.store(ctl, ${STATE}, ${DONE});
  Atomics.notify(ctl, ${STATE});
}
`;

/** The clock both threads share (ms): each thread's performance.now() counts from its own origin. */
const clock = () => performance.timeOrigin + performance.now();

type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Options of an EsentReadWorker. */
export interface EsentReadWorkerOptions {
  /** Path of the library to load in the thread (the same file as the main thread's: one copy in the process). */
  library: string;
  /** The JetReadFileInstance prototype with `pv` as `uintptr_t` (the caller's memory is passed by address). */
  readPrototype: string;
  /** Bits of a pointer: 64, or 32 on a 32-bit Node. */
  pointerBits: number;
  /** The native address of a Uint8Array's first byte (koffi.address of the main thread's koffi). */
  address: (bytes: Uint8Array) => bigint;
}

/**
 * A thread of its own for one streaming instance's reads: each `read` is exactly one synchronous
 * JetReadFileInstance on that thread, into the caller's bytes by address (the caller keeps them alive and
 * untouched until the promise settles). Requests queue: one call at a time per worker. The thread is
 * unref'd while idle, so it never keeps the process alive by itself.
 *
 * Stack: koffi runs a native call on its own stack block, not the thread's; the worker configures koffi's
 * synchronous stack to `ESENT_SYNC_STACK_SIZE` (2 MiB) before its first load, and the thread itself gets
 * `resourceLimits.stackSizeMb` 4 (Node's default, stated so that it never shrinks). `probeStack` checks it.
 *
 * @example
 * const w = new EsentReadWorker({ library, readPrototype, pointerBits: 64, address: koffi.address });
 * const { err, cbActual } = await w.read(inst, handle, alignedBytes);
 */
export class EsentReadWorker {
  private readonly worker: Worker;
  private readonly control = new SharedArrayBuffer(80);
  private readonly ctl = new Int32Array(this.control, 0, 8);
  private readonly args = new BigUint64Array(this.control, 32, 3);
  private readonly took = new Float64Array(this.control, 56, 1);
  /** When the thread took the request and when it finished the call (ms, performance.timeOrigin-based clock). */
  private readonly at = new Float64Array(this.control, 64, 2);
  /**
   * Calls made, and where their time went (ms, summed): inside the native call on the thread (`nativeMs`);
   * from the request's notify until the thread took it (`wakeThreadMs`); from the thread's completion until
   * the main thread resumed after its wait (`wakeMainMs`); and from one call's return until the next request
   * when that gap is under 5 ms (`betweenMs` over `betweenCalls`: the binding's and the caller's JavaScript).
   */
  readonly stats = { calls: 0, nativeMs: 0, wakeThreadMs: 0, wakeMainMs: 0, betweenMs: 0, betweenCalls: 0 };
  private returnedAt = -Infinity;
  /** The last calls' parts in µs, four per call (see `sampleHandOff`), written round-robin; off until asked for. */
  private samples: Float64Array | undefined;
  private sampled = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private failure: Error | undefined;
  private readonly died: Promise<void>;
  private readonly errors: MessagePort;

  constructor(private readonly options: EsentReadWorkerOptions) {
    const { modulePath, config } = koffiForWorker();
    const { port1, port2 } = new MessageChannel();
    this.errors = port1;
    this.worker = new Worker(source, {
      eval: true,
      workerData: {
        modulePath,
        config,
        library: options.library,
        readPrototype: options.readPrototype,
        pointerBits: options.pointerBits,
        control: this.control,
        errors: port2,
      },
      transferList: [port2],
      resourceLimits: { stackSizeMb: 4 },
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.died = new Promise<void>((resolve) => {
      const dead = (failure: Error) => {
        this.failure ??= failure;
        Atomics.store(this.ctl, STATE, FAILED); // wakes a call waiting for its completion
        Atomics.notify(this.ctl, STATE);
        resolve();
      };
      this.worker.on('error', (e: Error) =>
        dead(new Error(`the esent read worker failed (library ${options.library}): ${e.message}`, { cause: e })),
      );
      this.worker.on('exit', (code) => dead(new Error(`the esent read worker exited (code ${code})`)));
    });
  }

  /** Record each of the next calls' parts (the last `capacity` kept) for `handOffMedians`; 0 stops recording. */
  sampleHandOff(capacity: number): void {
    if (!Number.isInteger(capacity) || capacity < 0)
      throw new RangeError(`EsentReadWorker.sampleHandOff: capacity must be an integer ≥ 0, got ${capacity}`);
    this.samples = capacity > 0 ? new Float64Array(4 * capacity) : undefined;
    this.sampled = 0;
  }

  /**
   * Medians (µs) of the recorded calls' parts: the thread's wake-up, the native call, the main thread's
   * wake-up, and the JavaScript between a call's return and the next request (over the gaps under 5 ms);
   * undefined when nothing was recorded. Medians, unlike `stats`' sums, are not moved by a few preempted calls.
   */
  handOffMedians(): { wakeThread: number; native: number; wakeMain: number; between: number } | undefined {
    const n = Math.min(this.sampled, (this.samples?.length ?? 0) / 4);
    if (!this.samples || n === 0) return undefined;
    const median = (k: number) => {
      const xs = Array.from({ length: n }, (_, i) => this.samples![i * 4 + k]!).filter((x) => !Number.isNaN(x));
      xs.sort((a, b) => a - b);
      return xs.length ? xs[Math.floor(xs.length / 2)]! : NaN;
    };
    return { wakeThread: median(0), native: median(1), wakeMain: median(2), between: median(3) };
  }

  /** Whether a call is queued or in flight. */
  get busy(): boolean {
    return this.queued > 0;
  }

  /** The thread's id (worker_threads threadId). */
  get threadId(): number {
    return this.worker.threadId;
  }

  /**
   * One JetReadFileInstance(instance, handle, pv, cb) on the worker thread.
   *
   * @returns ESE's JET_ERR and *pcbActual
   * @throws Error when the worker cannot run (koffi or the library failed to load in it, or it exited)
   */
  read(instance: bigint, handle: bigint, pv: Uint8Array, cb: number): Promise<{ err: number; cbActual: number }> {
    return this.enqueue(async () => {
      this.args[0] = BigInt.asUintN(64, instance);
      this.args[1] = BigInt.asUintN(64, handle);
      this.args[2] = this.options.address(pv);
      const { err, result } = await this.call(OP_READ, cb, pv);
      return { err, cbActual: result >>> 0 };
    });
  }

  /**
   * Use `kib` KiB of stack inside a synchronous native call on the worker thread (the shim's
   * `shim_stack_probe`; esent.dll has no such export). Past the end of the stack the process dies (SIGSEGV).
   */
  probeStack(kib: number): Promise<number> {
    return this.enqueue(async () => (await this.call(OP_PROBE, kib)).result >>> 0);
  }

  /** Stop the thread (after the call in flight, if any); resolves when it has exited. */
  async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    Atomics.store(this.ctl, STATE, QUIT);
    Atomics.notify(this.ctl, STATE);
    await this.died;
  }

  private enqueue<T>(f: () => Promise<T>): Promise<T> {
    // the common case, one read at a time per instance, starts at once; others wait their turn
    const run = this.queued === 0 ? f() : this.tail.then(f, f);
    this.queued++;
    this.tail = run.then(
      () => void this.queued--,
      () => void this.queued--,
    );
    return run;
  }

  private async call(op: number, cb: number, keep?: Uint8Array): Promise<{ err: number; result: number }> {
    if (this.failure) throw this.failure;
    this.ctl[OP] = op;
    this.ctl[CB] = cb | 0;
    this.worker.ref(); // a request in flight keeps the process alive, as a koffi .async call does
    try {
      const requestedAt = clock();
      const between = requestedAt - this.returnedAt < 5 ? requestedAt - this.returnedAt : NaN;
      if (!Number.isNaN(between)) {
        this.stats.betweenMs += between;
        this.stats.betweenCalls++;
      }
      Atomics.store(this.ctl, STATE, REQUEST);
      Atomics.notify(this.ctl, STATE);
      // a wake-up may be spurious (a notify meant for the worker): wait again until DONE or the worker died
      while (Atomics.load(this.ctl, STATE) === REQUEST) {
        const w = waitAsync(this.ctl, STATE, REQUEST);
        if (w.async) await w.value;
      }
      if (Atomics.load(this.ctl, STATE) !== DONE) throw this.failure ?? new Error('the esent read worker stopped answering');
      this.returnedAt = clock();
      this.stats.wakeThreadMs += this.at[0]! - requestedAt;
      this.stats.wakeMainMs += this.returnedAt - this.at[1]!;
      void keep; // `keep` (the caller's bytes) stays reachable until the native call has returned
      this.stats.calls++;
      this.stats.nativeMs += this.took[0]!;
      if (this.samples) {
        const at = (this.sampled++ % (this.samples.length / 4)) * 4;
        this.samples.set(
          [this.at[0]! - requestedAt, this.took[0]!, this.returnedAt - this.at[1]!, between].map((ms) => ms * 1e3),
          at,
        );
      }
      const err = this.ctl[ERR]!;
      const result = this.ctl[RESULT]!;
      Atomics.store(this.ctl, STATE, IDLE);
      if (err === THROWN) {
        const thrown = receiveMessageOnPort(this.errors)?.message as string | undefined;
        throw new Error(`the esent read worker's koffi call failed: ${thrown ?? 'no message'}`);
      }
      return { err, result };
    } finally {
      this.worker.unref();
    }
  }
}
