import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { pageKernelModule } from '../engine/format/page-checksum-wasm.js';
import type { DataPageVerdict } from './ese-file-verifier.js';
import { blake3Available, blake3ModulePath, createStreamDigest, type FileDigestAlgorithm, type StreamDigest } from './file-digest.js';

/**
 * The digest (SHA-256 or BLAKE3) of a file fed chunk by chunk, in order. `update` returns `undefined` when the chunk was
 * hashed already (on this thread) or a promise that settles once the hashing thread no longer reads
 * the chunk's memory: only then may the chunk's buffer be reused.
 */
export interface ChunkHasher {
  update(chunk: Uint8Array): Promise<void> | undefined;
  /**
   * `update`, and on the hashing thread the page kernel's verdict on the chunk's whole data pages
   * (a database of `pageSize`, the chunk at byte `at` of the file): `undefined` (now, or as the
   * promise's value) when the chunk was hashed here or the thread has no kernel.
   */
  updateChecking(chunk: Uint8Array, pageSize: number, at: number): Promise<DataPageVerdict | undefined> | undefined;
  /** The hex digest of every chunk given to `update`, in order (after every update settled). */
  digest(): Promise<string>;
  /** Forget the hash (a discarded file); idempotent. */
  dispose(): void;
}

/**
 * Worker source, CommonJS so that it runs from a string (`eval`) under tsx, vitest and the build
 * alike. One hash per id, of the algorithm its first message names (BLAKE3 through the package whose path
the main thread resolved: a native addon loads in a worker thread as in the main one); chunks are views of SharedArrayBuffers the main thread keeps unchanged until
 * the reply. Messages of one id are handled in the order they were posted, which is the file's order.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
let Blake3Hasher = null;
function newHash(alg) {
  if (alg === 'sha256') return createHash('sha256');
  if (alg !== 'blake3') throw new Error('unknown digest ' + alg);
  if (!workerData.blake3) throw new Error('BLAKE3 package not loaded on the main thread');
  Blake3Hasher ??= require(workerData.blake3).Blake3Hasher;
  return new Blake3Hasher();
}
// The page checksum kernel (page-checksum-wasm.ts's module, posted by the main thread) over 1 MiB of its own.
let kernel = null;
// File page indexes [from, to) of the chunk's whole data pages, and those the kernel did not accept
// (only acceptances are final: the main thread decides the rejected ones, as findBadPage does).
function checkPages(chunk, at, P) {
  const from = Math.max(2, Math.ceil(at / P));
  const to = Math.max(from, Math.floor((at + chunk.length) / P));
  const rejected = [];
  const slice = Math.floor(kernel.bytes.length / P);
  for (let i = from; i < to; ) {
    const end = Math.min(to, i + slice);
    const count = end - i;
    kernel.bytes.set(chunk.subarray(i * P - at, end * P - at));
    for (let k = 0; k < count; ) {
      const r = k + kernel.dataPages(k * P, count - k, P, (i - 1 + k) | 0);
      if (r === count) break;
      rejected.push(i + r);
      k = r + 1;
    }
    i = end;
  }
  return { from, to, rejected };
}
parentPort.on('message', (m) => {
  if (m.op === 'drop') { hashes.delete(m.id); return; }
  if (m.op === 'kernel') {
    try {
      const memory = new WebAssembly.Memory({ initial: 16, maximum: 16 });
      const { dataPages } = new WebAssembly.Instance(m.module, { env: { memory } }).exports;
      kernel = { bytes: new Uint8Array(memory.buffer), dataPages };
    } catch { kernel = null; }
    return;
  }
  try {
    let h = hashes.get(m.id);
    if (!h) { h = newHash(m.alg); hashes.set(m.id, h); }
    if (m.op === 'update') {
      const chunk = new Uint8Array(m.buffer, m.offset, m.length);
      h.update(chunk);
      const pages = m.pageSize && kernel ? checkPages(chunk, m.at, m.pageSize) : undefined;
      parentPort.postMessage({ job: m.job, pages });
    } else {
      hashes.delete(m.id);
      parentPort.postMessage({ job: m.job, hex: h.digest('hex') });
    }
  } catch (e) {
    hashes.delete(m.id);
    parentPort.postMessage({ job: m.job, error: String((e && e.message) || e) });
  }
});
`;

interface Job {
  resolve: (reply: { hex?: string; pages?: DataPageVerdict }) => void;
  reject: (e: Error) => void;
}

/**
 * One of the process's hashing threads (one per CPU), started on first use and kept: referenced only
 * while jobs are pending, so an idle hasher never keeps the process alive. A new file's hash goes to
 * the thread with the fewest files, so two streams (a file being copied and one being re-read, or two
 * files verified side by side) hash on two cores. If a thread dies, its pending jobs reject and the
 * next use starts a new one.
 */
class HashThread {
  private static readonly threads: (HashThread | undefined)[] = [];
  /** Files (hash ids) this thread holds: the load that picks the thread of the next file. */
  private files = 0;
  private readonly worker: Worker;
  private readonly jobs = new Map<number, Job>();
  private nextJob = 0;
  private nextId = 0;
  private dead: Error | undefined;

  private constructor() {
    // No inherited execArgv: the thread runs plain CommonJS and needs no loader (tsx's would cost its start).
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      name: 'ese-backup hash',
      execArgv: [],
      workerData: { blake3: blake3Available() ? blake3ModulePath() : null },
    });
    this.worker.unref();
    // An unref before the thread is online does not hold (Node 20): again once it is, unless it has jobs.
    this.worker.once('online', () => {
      if (this.jobs.size === 0) this.worker.unref();
    });
    // The page kernel, for chunks whose pages are checked here (updateChecking).
    const module = pageKernelModule();
    if (module) this.worker.postMessage({ op: 'kernel', module });
    this.worker.on('message', (m: { job: number; hex?: string; pages?: DataPageVerdict; error?: string }) => {
      const job = this.jobs.get(m.job);
      if (!job) return;
      this.jobs.delete(m.job);
      if (this.jobs.size === 0) this.worker.unref();
      if (m.error !== undefined) job.reject(new Error(`hashing thread: ${m.error}`));
      else job.resolve(m);
    });
    const die = (e: Error) => {
      this.dead ??= e;
      const slot = HashThread.threads.indexOf(this);
      if (slot >= 0) HashThread.threads[slot] = undefined;
      for (const job of this.jobs.values()) job.reject(this.dead);
      this.jobs.clear();
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`hashing thread exited with code ${code}`)));
  }

  /** The thread with the fewest files (starting the threads not started yet). */
  static get(): HashThread {
    let best: HashThread | undefined;
    for (let i = 0; i < HASH_THREADS; i++) {
      const t = (HashThread.threads[i] ??= new HashThread());
      if (!best || t.files < best.files) best = t;
    }
    return best!;
  }

  /** A new file's hash on this thread; `drop` or the digest gives it back. */
  newId(): number {
    this.files++;
    return this.nextId++;
  }

  /** A file's hash is done with (digested or dropped). */
  release(): void {
    this.files--;
  }

  post(
    message:
      | {
          op: 'update';
          id: number;
          alg: FileDigestAlgorithm;
          buffer: SharedArrayBuffer;
          offset: number;
          length: number;
          pageSize?: number;
          at?: number;
        }
      | { op: 'digest'; id: number; alg: FileDigestAlgorithm },
  ): Promise<{ hex?: string; pages?: DataPageVerdict }> {
    if (this.dead) return Promise.reject(this.dead);
    const job = this.nextJob++;
    return new Promise((resolve, reject) => {
      if (this.jobs.size === 0) this.worker.ref();
      this.jobs.set(job, { resolve, reject });
      this.worker.postMessage({ ...message, job });
    });
  }

  drop(id: number): void {
    if (!this.dead) this.worker.postMessage({ op: 'drop', id });
  }
}

const cpus = os.availableParallelism?.() ?? os.cpus().length;
/** Whether hashing on another thread can run beside the copy (more than one CPU). */
const offThreadUseful = cpus > 1;
/** Hashing threads: one per CPU (at most 4), so as many files as CPUs hash at once. */
const HASH_THREADS = Math.min(4, cpus);

/**
 * Buffers for chunks that {@link createChunkHasher} can hash on its thread: views of a
 * SharedArrayBuffer when that helps (several CPUs), plain memory otherwise.
 */
export function hashableBuffer(size: number): Uint8Array {
  return offThreadUseful ? new Uint8Array(new SharedArrayBuffer(size)) : new Uint8Array(size);
}

/** Start the hashing threads now (each takes a few tens of milliseconds), so the first chunk does not wait for one. */
export function warmChunkHasher(): void {
  if (offThreadUseful) HashThread.get();
}

/**
 * The `algorithm` digest of one file. Chunks in a SharedArrayBuffer (see {@link hashableBuffer}) are hashed on the
 * process's hashing thread while this thread goes on (reading the next chunk, writing this one);
 * other chunks are hashed here, at once. Either way every byte is hashed, in order.
 *
 * @example
 * const h = createChunkHasher('blake3'); await h.update(chunk); const hex = await h.digest();
 * @throws Blake3UnavailableError for `blake3` when its package cannot be loaded.
 */
export function createChunkHasher(algorithm: FileDigestAlgorithm): ChunkHasher {
  // Before any chunk: a missing BLAKE3 binary is reported here, not as a failed chunk.
  if (algorithm === 'blake3') blake3ModulePath();
  let local: StreamDigest | undefined;
  let thread: HashThread | undefined;
  let id = 0;
  let disposed = false;
  const hasher: ChunkHasher = {
    update(chunk) {
      return hasher.updateChecking(chunk, 0, 0)?.then(() => undefined);
    },
    updateChecking(chunk, pageSize, at) {
      if (disposed) throw new Error('update after dispose');
      if (thread === undefined && local === undefined && offThreadUseful && chunk.buffer instanceof SharedArrayBuffer) {
        thread = HashThread.get();
        id = thread.newId();
      }
      if (thread) {
        if (!(chunk.buffer instanceof SharedArrayBuffer)) throw new Error('a file hashed off-thread got a chunk outside shared memory');
        // Pages are checked there only while this thread would use the WebAssembly kernel too.
        const pages = pageSize > 0 && pageKernelModule() ? { pageSize, at } : {};
        return thread
          .post({ op: 'update', id, alg: algorithm, buffer: chunk.buffer, offset: chunk.byteOffset, length: chunk.byteLength, ...pages })
          .then((reply) => reply.pages);
      }
      (local ??= createStreamDigest(algorithm)).update(chunk);
      return undefined;
    },
    async digest() {
      if (disposed) throw new Error('digest after dispose');
      disposed = true;
      if (thread) {
        thread.release();
        return (await thread.post({ op: 'digest', id, alg: algorithm })).hex!;
      }
      return (local ?? createStreamDigest(algorithm)).digest();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      thread?.release();
      thread?.drop(id);
    },
  };
  return hasher;
}
