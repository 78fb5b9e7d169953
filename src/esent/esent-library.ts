import type { LibraryHandle } from 'koffi';
import { AsyncGate, type AsyncLane } from './async-gate.js';
import { EsentLoadError } from './esent-load-error.js';
import { esentMinimumWindows, esentPrototypes, type EsentExport } from './esent-prototypes.js';
import { bindEsentTableCalls, type EsentTableCalls } from './esent-table-calls.js';
import { EsentReadWorker } from './esent-read-worker.js';
import { declareEsentTypes } from './esent-types.js';
import { loadKoffi } from './load-koffi.js';

// Declares esent.h's types, loads the library, re-types each prototype of esent-prototypes.ts and wraps
// `.async` in promises (koffi itself comes configured from load-koffi.ts). Out-parameters come back as fields.

/** Calls that hold a pool thread for long: they queue in the gate's bulk lane (see AsyncGate). */
const BULK_CALLS: ReadonlySet<EsentExport> = new Set<EsentExport>(['JetReadFileInstance', 'JetInit', 'JetExternalRestore2W']);

/**
 * JetReadFileInstance as the read worker declares it: esent.h's types spelled out (its koffi has no aliases)
 * and `pv` by address, so that the thread reads straight into the caller's bytes.
 */
const READ_BY_ADDRESS =
  'int32_t __stdcall JetReadFileInstance(uintptr_t instance, uintptr_t hfFile, uintptr_t pv, uint32_t cb, _Out_ uint32_t *pcbActual)';

/** A read thread ends after this long without a call (see readWorker). */
const READ_THREAD_IDLE_MS = 5_000;

/** How many bulk calls (reads, JetInit) run at once by default: half of libuv's default pool of 4. */
export const DEFAULT_BULK_CONCURRENCY = 2;

/** Options of `loadEsentLibrary`. */
export interface EsentLibraryLoadOptions {
  /** Bulk calls (reads, JetInit) running at once across every instance (default 2; see AsyncGate). */
  bulkConcurrency?: number;
  /**
   * Where JetReadFileInstance runs: `'worker'` (default), a thread per instance calling it synchronously
   * (EsentReadWorker); `'async'`, a koffi `.async` call per read on libuv's pool (the design before, kept
   * for the benchmark's comparison).
   */
  reads?: EsentReadThreads;
  /** Milliseconds without a call after which an instance's read thread ends (default 5000). */
  readThreadIdleMs?: number;
}

/** Where the binding's reads run (see EsentLibraryLoadOptions.reads). */
export type EsentReadThreads = 'worker' | 'async';

/** What ESE answers through `JET_LOGINFO_W` (generations inclusive; cbSize must be 20 on the way in). */
export interface JetLogInfoW {
  cbSize: number;
  ulGenLow: number;
  ulGenHigh: number;
  szBaseName: string;
}

/** The arguments of `JetExternalRestore2W` (esent.h), by name. */
export interface EsentExternalRestore {
  /** Where the restore writes its checkpoint file. */
  checkpointPath: string;
  /** Where the replayed logs go (the restored instance's log path). */
  logPath: string;
  /** Each database as it was backed up (`szDatabaseName`) and where its copy now lies (`szNewDatabaseName`). */
  rstmap: Array<{ szDatabaseName: string; szNewDatabaseName: string }>;
  /** The directory holding the set's logs. */
  backupLogPath: string;
  /** The set's log range and base name (`cbSize` is set by the binding). */
  logInfo: { ulGenLow: number; ulGenHigh: number; szBaseName: string };
  /** A running instance to replay into, or null (ESE then runs a temporary one). */
  targetInstanceName: string | null;
  targetInstanceLogPath: string | null;
  targetInstanceCheckpointPath: string | null;
}

/** One entry of `JetGetInstanceInfoW`: an instance of this process and its attached databases. */
export interface EsentInstanceInfo {
  instance: bigint;
  name: string;
  databases: string[];
}

type Err = number;
type KoffiFunction = ReturnType<LibraryHandle['func']>;
type Ptr = bigint | number;

/**
 * esent.dll, typed: one method per export of `esentPrototypes`, resolved on first use. Every call but
 * `JetStopBackupInstance` and `JetFreeBuffer` runs on a koffi worker thread (`.async`) and resolves with
 * the `JET_ERR` and the out-parameters; `JetStopBackupInstance` is synchronous so that it can interrupt
 * a session while a read is in flight (reference §1).
 */
export interface EsentLibrary extends EsentTableCalls {
  /** The path given to `koffi.load`. */
  readonly path: string;
  /** Bits of a pointer (`JET_INSTANCE`, `JET_HANDLE`): 64, or 32 on a 32-bit Node. */
  readonly pointerBits: number;
  /** Resolve the named exports now; throws EsentLoadError('ESENT_EXPORT_MISSING') for the first missing one. */
  requireExports(names: readonly EsentExport[]): void;
  /** Whether the library has the export (an older esent.dll lacks the newer ones). */
  hasExport(name: EsentExport): boolean;
  /** The queue every `.async` call goes through (its `stats` say how many bulk calls ran at once). */
  readonly gate: AsyncGate;
  /**
   * Whether `JetTerm2` was called on `instance` (in flight or done) and no JetCreateInstance2W/JetInit of
   * this library has handed the handle out again since. `JetStopBackupInstance` is never called for such
   * an instance: ESE's Stop finds the instance without the lock under which Term frees it.
   */
  isTerminated(instance: Ptr): boolean;
  /** A zero-filled buffer of `size` bytes whose first byte sits on a 4096-byte boundary (ESE checks it). */
  alignedBuffer(size: number): Uint8Array;
  /** Whether `bytes` starts on a 4096-byte boundary (ESE refuses a read into any other buffer with -1003). */
  isAligned(bytes: Uint8Array): boolean;
  /** Where reads run: `'worker'` (a thread per instance, synchronous calls) or `'async'` (koffi `.async`). */
  readonly reads: EsentReadThreads;
  /** The read thread of `instance` (started on its first read; ended when idle, 5 s by default, and by JetTerm2), or undefined. */
  readWorker(instance: Ptr): EsentReadWorker | undefined;
  JetBeginExternalBackupInstance(instance: Ptr, grbit: number): Promise<Err>;
  JetGetAttachInfoInstanceW(instance: Ptr, szz: Uint8Array | null, cbMax: number): Promise<{ err: Err; cbActual: number }>;
  JetOpenFileInstanceW(instance: Ptr, file: string): Promise<{ err: Err; handle: bigint; sizeLow: number; sizeHigh: number }>;
  /**
   * On the instance's read thread (`reads: 'worker'`) or a koffi pool thread (`'async'`); in the bulk lane
   * either way. `pv` must stay untouched until the promise settles (the call writes into it by address).
   */
  JetReadFileInstance(instance: Ptr, handle: Ptr, pv: Uint8Array, cb: number): Promise<{ err: Err; cbActual: number }>;
  JetCloseFileInstance(instance: Ptr, handle: Ptr): Promise<Err>;
  JetGetLogInfoInstanceW(instance: Ptr, szz: Uint8Array | null, cbMax: number): Promise<{ err: Err; cbActual: number }>;
  JetGetLogInfoInstance2W(
    instance: Ptr,
    szz: Uint8Array | null,
    cbMax: number,
  ): Promise<{ err: Err; cbActual: number; logInfo: JetLogInfoW }>;
  JetGetTruncateLogInfoInstanceW(instance: Ptr, szz: Uint8Array | null, cbMax: number): Promise<{ err: Err; cbActual: number }>;
  JetTruncateLogInstance(instance: Ptr): Promise<Err>;
  JetEndExternalBackupInstance(instance: Ptr): Promise<Err>;
  JetEndExternalBackupInstance2(instance: Ptr, grbit: number): Promise<Err>;
  /** Synchronous; answers -1003 without calling ESE for an instance with a Term in flight or done. */
  JetStopBackupInstance(instance: Ptr): Err;
  JetStopServiceInstance2(instance: Ptr, grbit: number): Promise<Err>;
  /** The pre-Windows 8 call: stops every service (`JET_bitStopServiceAll`) and quiesces the caches. */
  JetStopServiceInstance(instance: Ptr): Promise<Err>;
  JetTerm2(instance: Ptr, grbit: number): Promise<Err>;
  JetCreateInstance2W(name: string, displayName: string | null, grbit: number): Promise<{ err: Err; instance: bigint }>;
  /** `instance` null sets a global parameter (`pinstance` = NULL). */
  JetSetSystemParameterW(instance: Ptr | null, sesid: Ptr, paramid: number, lParam: Ptr, szParam: string | null): Promise<Err>;
  JetInit(instance: Ptr): Promise<{ err: Err; instance: bigint }>;
  JetBeginSession(instance: Ptr): Promise<{ err: Err; sesid: bigint }>;
  JetAttachDatabaseW(sesid: Ptr, file: string, grbit: number): Promise<Err>;
  JetCreateDatabaseW(sesid: Ptr, file: string, grbit: number): Promise<{ err: Err; dbid: number }>;
  JetEndSession(sesid: Ptr, grbit: number): Promise<Err>;
  JetOpenDatabaseW(sesid: Ptr, file: string, grbit: number): Promise<{ err: Err; dbid: number }>;
  JetCloseDatabase(sesid: Ptr, dbid: number, grbit: number): Promise<Err>;
  /** Restore of a streamed set: the databases already copied to their new paths, the logs read from `backupLogPath`. */
  JetExternalRestore2W(args: EsentExternalRestore): Promise<Err>;
  /** Decodes the `JET_INSTANCE_INFO_W` array and frees it with `JetFreeBuffer`. */
  JetGetInstanceInfoW(): Promise<{ err: Err; instances: EsentInstanceInfo[] }>;
}

const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));
/** JET_errInvalidParameter: what ESE answers for an instance that is no longer one. */
const JET_errInvalidParameter = -1003;

/**
 * Load esent.dll (or a library with its exports) from `path` and type its functions.
 *
 * @throws EsentLoadError `ESENT_LIBRARY_NOT_FOUND` (names the path and platform); `ESENT_EXPORT_MISSING`
 *   on first use of a function the library lacks (names it and the first Windows that has it)
 * @example
 * const lib = loadEsentLibrary('esent.dll');
 * const err = lib.JetStopBackupInstance(inst);
 */
export function loadEsentLibrary(path: string, options: EsentLibraryLoadOptions = {}): EsentLibrary {
  const gate = new AsyncGate(options.bulkConcurrency ?? DEFAULT_BULK_CONCURRENCY);
  const reads = options.reads ?? 'worker';
  if (reads !== 'worker' && reads !== 'async')
    throw new TypeError(`loadEsentLibrary: reads must be 'worker' or 'async', got ${String(reads)}`);
  declareEsentTypes(loadKoffi());
  const koffi = loadKoffi();
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (cause) {
    throw new EsentLoadError(
      'ESENT_LIBRARY_NOT_FOUND',
      `cannot load ${path} on ${process.platform}-${process.arch}: ${(cause as Error).message}`,
      { library: path, platform: process.platform, cause },
    );
  }
  const bound = new Map<EsentExport, KoffiFunction>();
  const fn = (name: EsentExport): KoffiFunction => {
    let f = bound.get(name);
    if (!f) {
      try {
        f = lib.func(esentPrototypes[name]);
      } catch (cause) {
        const minimumWindows = esentMinimumWindows[name];
        throw new EsentLoadError('ESENT_EXPORT_MISSING', `${path} has no export ${name} (esent.dll exports it from ${minimumWindows} on)`, {
          library: path,
          platform: process.platform,
          exportName: name,
          minimumWindows,
          cause,
        });
      }
      bound.set(name, f);
    }
    return f;
  };
  // One call on a koffi worker thread, through the gate; out-parameters are filled in the arrays/objects passed.
  const run = (name: EsentExport, ...args: unknown[]): Promise<number> => {
    let f: KoffiFunction;
    try {
      f = fn(name); // a missing export rejects here, before the gate
    } catch (e) {
      return Promise.reject(e);
    }
    const lane: AsyncLane = BULK_CALLS.has(name) ? 'bulk' : 'control';
    return gate.run(
      lane,
      () =>
        new Promise((resolve, reject) => {
          f.async(...args, (e: unknown, r: number) => (e ? reject(e) : resolve(r)));
        }),
    );
  };
  const hasExport = (name: EsentExport): boolean => {
    try {
      fn(name);
      return true;
    } catch (e) {
      if (e instanceof EsentLoadError) return false;
      throw e;
    }
  };
  // Instances with a Term in flight or done (see isTerminated); a handle ESE hands out again leaves the set.
  const terminated = new Set<bigint>();
  const reborn = (instance: bigint) => void terminated.delete(instance);
  const list = (name: EsentExport) => async (instance: Ptr, szz: Uint8Array | null, cbMax: number) => {
    const pcb = [0];
    const err = await run(name, instance, szz, cbMax, pcb);
    return { err, cbActual: pcb[0] as number };
  };

  const pointerBits = koffi.sizeof('uintptr_t') * 8;
  // The read thread of each instance that reads. It ends after READ_THREAD_IDLE_MS without a call (so
  // threads never pile up for instances backed up once in a while) and after JetTerm2; a later read starts
  // another. Back-to-back sessions keep theirs (starting one takes tens of milliseconds).
  const readers = new Map<bigint, { worker: EsentReadWorker; idle: NodeJS.Timeout }>();
  const readerFor = (instance: bigint) => {
    let r = readers.get(instance);
    if (!r) {
      const worker = new EsentReadWorker({
        library: path,
        readPrototype: READ_BY_ADDRESS,
        pointerBits,
        address: (b) => BigInt(koffi.address(b)),
      });
      const idle = setTimeout(() => {
        if (worker.busy) return void idle.refresh(); // a read longer than the idle time
        if (readers.get(instance)?.worker === worker) readers.delete(instance);
        void worker.close();
      }, options.readThreadIdleMs ?? READ_THREAD_IDLE_MS).unref();
      readers.set(instance, (r = { worker, idle }));
    }
    r.idle.refresh();
    return r.worker;
  };
  const retire = <T>(instance: Ptr, call: Promise<T>): Promise<T> => {
    const r = readers.get(big(instance));
    readers.delete(big(instance));
    if (r) {
      clearTimeout(r.idle);
      // the thread ends after the call (and after its queued reads, which answer what ESE says)
      void call.finally(() => r.worker.close()).catch(() => undefined);
    }
    return call;
  };

  return {
    path,
    pointerBits,
    reads,
    readWorker: (i) => readers.get(big(i))?.worker,
    isAligned: (b) => BigInt(koffi.address(b)) % 4096n === 0n,
    requireExports: (names) => names.forEach((n) => fn(n)),
    hasExport,
    gate,
    isTerminated: (i) => terminated.has(big(i)),
    alignedBuffer(size) {
      const backing = new Uint8Array(size + 4096);
      const skew = Number(koffi.address(backing) % 4096n);
      return backing.subarray((4096 - skew) % 4096, ((4096 - skew) % 4096) + size);
    },
    JetBeginExternalBackupInstance: (i, g) => run('JetBeginExternalBackupInstance', i, g),
    JetGetAttachInfoInstanceW: list('JetGetAttachInfoInstanceW'),
    async JetOpenFileInstanceW(i, file) {
      const [h, lo, hi] = [[0], [0], [0]];
      const err = await run('JetOpenFileInstanceW', i, file, h, lo, hi);
      return { err, handle: big(h[0]), sizeLow: lo[0] as number, sizeHigh: hi[0] as number };
    },
    async JetReadFileInstance(i, h, pv, cb) {
      if (reads === 'worker') {
        fn('JetReadFileInstance'); // a missing export fails as every other call does
        const worker = readerFor(big(i));
        return gate.run('bulk', () => worker.read(big(i), big(h), pv, cb));
      }
      const pcb = [0];
      const err = await run('JetReadFileInstance', i, h, pv, cb, pcb);
      return { err, cbActual: pcb[0] as number };
    },
    JetCloseFileInstance: (i, h) => run('JetCloseFileInstance', i, h),
    JetGetLogInfoInstanceW: list('JetGetLogInfoInstanceW'),
    async JetGetLogInfoInstance2W(i, szz, cbMax) {
      const pcb = [0];
      const logInfo: JetLogInfoW = { cbSize: 20, ulGenLow: 0, ulGenHigh: 0, szBaseName: '' };
      const err = await run('JetGetLogInfoInstance2W', i, szz, cbMax, pcb, logInfo);
      return { err, cbActual: pcb[0] as number, logInfo };
    },
    JetGetTruncateLogInfoInstanceW: list('JetGetTruncateLogInfoInstanceW'),
    JetTruncateLogInstance: (i) => run('JetTruncateLogInstance', i),
    JetEndExternalBackupInstance: (i) => run('JetEndExternalBackupInstance', i),
    JetEndExternalBackupInstance2: (i, g) => run('JetEndExternalBackupInstance2', i, g),
    JetStopBackupInstance(i) {
      const f = fn('JetStopBackupInstance');
      // ESE's Stop reads the instance without the lock under which Term frees it: answer as for a dead instance.
      if (terminated.has(big(i))) return JET_errInvalidParameter;
      return f(i) as number;
    },
    JetStopServiceInstance2: (i, g) => run('JetStopServiceInstance2', i, g),
    JetStopServiceInstance: (i) => run('JetStopServiceInstance', i),
    JetTerm2(i, g) {
      if (!hasExport('JetTerm2')) return run('JetTerm2', i, g); // rejects: ESENT_EXPORT_MISSING
      terminated.add(big(i)); // before the call: from now on Stop never reaches ESE for it
      return retire(i, run('JetTerm2', i, g));
    },
    async JetCreateInstance2W(name, displayName, grbit) {
      const out = [0];
      const err = await run('JetCreateInstance2W', out, name, displayName, grbit);
      if (err >= 0) reborn(big(out[0]));
      return { err, instance: big(out[0]) };
    },
    JetSetSystemParameterW: (i, sesid, paramid, lParam, sz) =>
      run('JetSetSystemParameterW', i === null ? null : [i], sesid, paramid, lParam, sz),
    async JetInit(i) {
      const inout = [i];
      const err = await run('JetInit', inout);
      if (err >= 0) reborn(big(inout[0]));
      return { err, instance: big(inout[0]) };
    },
    async JetBeginSession(i) {
      const out = [0];
      const err = await run('JetBeginSession', i, out, null, null);
      return { err, sesid: big(out[0]) };
    },
    JetAttachDatabaseW: (sesid, file, grbit) => run('JetAttachDatabaseW', sesid, file, grbit),
    async JetCreateDatabaseW(sesid, file, grbit) {
      const dbid = [0];
      const err = await run('JetCreateDatabaseW', sesid, file, null, dbid, grbit);
      return { err, dbid: dbid[0] as number };
    },
    JetEndSession: (sesid, grbit) => run('JetEndSession', sesid, grbit),
    ...bindEsentTableCalls((name, ...args) => run(name as EsentExport, ...args)),
    async JetOpenDatabaseW(sesid, file, grbit) {
      const dbid = [0];
      const err = await run('JetOpenDatabaseW', sesid, file, null, dbid, grbit);
      return { err, dbid: dbid[0] as number };
    },
    JetCloseDatabase: (sesid, dbid, grbit) => run('JetCloseDatabase', sesid, dbid, grbit),
    JetExternalRestore2W: (a) =>
      run(
        'JetExternalRestore2W',
        a.checkpointPath,
        a.logPath,
        a.rstmap.length ? a.rstmap : null,
        a.rstmap.length,
        a.backupLogPath,
        { cbSize: 20, ...a.logInfo },
        a.targetInstanceName,
        a.targetInstanceLogPath,
        a.targetInstanceCheckpointPath,
        null,
      ),
    async JetGetInstanceInfoW() {
      const count = [0];
      const array: unknown[] = [null];
      const err = await run('JetGetInstanceInfoW', count, array);
      if (array[0] === null || array[0] === undefined) return { err, instances: [] };
      try {
        if (err < 0 || count[0] === 0) return { err, instances: [] };
        const raw = koffi.decode(array[0], 'JET_INSTANCE_INFO_W', count[0] as number) as Array<Record<string, unknown>>;
        const instances = raw.map((r) => {
          const n = Number(r.cDatabases);
          const files = n > 0 && r.szDatabaseFileName !== null ? (koffi.decode(r.szDatabaseFileName, 'char16_t *', n) as string[]) : [];
          return { instance: big(r.hInstanceId), name: String(r.szInstanceName ?? ''), databases: files };
        });
        return { err, instances };
      } finally {
        fn('JetFreeBuffer')(array[0]);
      }
    },
  };
}
