import { JET_bit, JET_err, JetError, type JetBackupApi, type JetHandle, type JetInstance } from '../jet/index.js';
import { bufferArg, grbitArg, handleArg, instanceArg, pathArg } from './esent-arguments.js';
import { loadEsentLibrary, type EsentLibrary } from './esent-library.js';
import { esentBackupExports } from './esent-prototypes.js';
import { OpenFileTable } from './open-file-table.js';
import { readEsentList } from './read-esent-list.js';
import { resolveEsentLibrary, type EsentLibraryOptions } from './resolve-esent-library.js';

/** ESE checks `pv` against the memory page commit granularity: 4 KiB on every Windows ABI. */
const ALIGN = 4096;
/** A handle ESE's CloseFile refuses with -1003 whatever is open: `(INT)0xFFFFFFFF` is -1. */
const CLOSE_PROBE_HANDLE = 0xffff_ffffn;

/** The koffi backend: `JetBackupApi` over esent.dll, plus the typed library for the instance calls. */
export interface EsentBackend extends JetBackupApi {
  readonly backend: 'esent';
  /** The loaded library (the private-instance calls of the CLI live here). */
  readonly library: EsentLibrary;
}

/**
 * `JetBackupApi` over esent.dll through koffi (reference §5). Every call but `stopBackup` runs on a koffi
 * worker thread, so the event loop stays free while ESE reads; `stopBackup` is synchronous, so it
 * interrupts a session with a read in flight (that read completes, the next call answers -801).
 *
 * - Reads: each `readFile` is one JetReadFileInstance, on the instance's own read thread (EsentReadWorker:
 *   synchronous koffi calls, no pool hand-off), or a koffi `.async` call with `reads: 'async'`. A buffer
 *   that starts on a 4096-byte boundary and holds a page or more is read into directly; any other through
 *   a page-aligned one (ESE answers -1003 otherwise), copied into yours.
 * - Handles: only handles ESE handed out and has not closed reach ReadFile/CloseFile (ESE does not
 *   range-check them). For any other handle the call is made with a misaligned buffer (Read) or a handle
 *   ESE always refuses (Close), so ESE still answers its own checks in its own order (-520, -801, …) and
 *   then -1003, without touching its handle table.
 * - Lists: a NULL buffer first for the size, then the list; a truncated list is asked for again.
 * - Sizes: the two 32-bit halves joined into a bigint.
 * - Stop never reaches ESE for an instance with a Term in flight or done (it answers -1003 as for a dead
 *   instance): ESE's Stop finds the instance without the lock under which Term frees it.
 * - StopService: JetStopServiceInstance2 where it exists, else JetStopServiceInstance (before Windows 8),
 *   which only knows JET_bitStopServiceAll: other grbits answer -900 there without a call.
 * - Threads: reads and JetInit queue in the library's AsyncGate (`bulkConcurrency`, default 2 at once
 *   across every instance); control calls (End, Term, …) never queue behind them.
 *
 * @param options `library`: the path of esent.dll or a library with its exports (default: the system
 *   esent.dll on Windows; required elsewhere)
 * @throws EsentLoadError when the library cannot be used (platform, path, missing export); each method
 *   rejects with JetError for a negative JET_ERR and TypeError/RangeError for misuse, before any FFI call
 * @example
 * const api = createEsentBackend();
 * await api.beginExternalBackup(inst);
 * const [db] = await api.getAttachInfo(inst);
 */
export function createEsentBackend(options: EsentLibraryOptions = {}): EsentBackend {
  const lib = loadEsentLibrary(resolveEsentLibrary(options), {
    ...(options.bulkConcurrency === undefined ? {} : { bulkConcurrency: options.bulkConcurrency }),
    ...(options.reads === undefined ? {} : { reads: options.reads }),
  });
  lib.requireExports(esentBackupExports);
  // Windows 8 brought JetStopServiceInstance2; before it only JetStopServiceInstance (stop everything).
  const hasStopService2 = lib.hasExport('JetStopServiceInstance2');
  const files = new OpenFileTable();
  const inst = (api: string, i: unknown) => instanceArg(api, i, lib.pointerBits);
  const fail = (api: string, i: bigint, err: number, detail?: string): never => {
    files.afterError(i, err);
    throw new JetError(api, err, detail ? { detail } : {});
  };
  const call = async (api: string, i: bigint, run: Promise<number>): Promise<void> => {
    const err = await run;
    if (err < 0) fail(api, i, err);
  };
  const list = async (api: 'JetGetAttachInfoInstanceW' | 'JetGetLogInfoInstanceW' | 'JetGetTruncateLogInfoInstanceW', instArg: unknown) => {
    const i = inst(api, instArg);
    try {
      return (await readEsentList(api, (szz, cb) => lib[api](i, szz, cb))).files;
    } catch (e) {
      if (e instanceof JetError) files.afterError(i, e.err);
      throw e;
    }
  };

  // Aligned buffers, reused: at most two kept, so concurrent reads on different instances each get one.
  const pool: Uint8Array[] = [];
  const take = (size: number) => {
    const at = pool.findIndex((b) => b.length >= size);
    return at >= 0 ? pool.splice(at, 1)[0]! : lib.alignedBuffer(Math.max(ALIGN, Math.ceil(size / ALIGN) * ALIGN));
  };
  const give = (b: Uint8Array) => void (pool.length < 2 && pool.push(b));
  let probe: Uint8Array | undefined; // one byte past a page boundary: ESE refuses it before reading

  return {
    backend: 'esent',
    library: lib,

    async beginExternalBackup(instArg, grbit) {
      const api = 'JetBeginExternalBackupInstance';
      const i = inst(api, instArg);
      await call(api, i, lib.JetBeginExternalBackupInstance(i, grbitArg(api, grbit, 0)));
      files.endSession(i);
    },
    getAttachInfo: (i) => list('JetGetAttachInfoInstanceW', i),
    async openFile(instArg, path) {
      const api = 'JetOpenFileInstanceW';
      const i = inst(api, instArg);
      const r = await lib.JetOpenFileInstanceW(i, pathArg(api, path));
      if (r.err < 0) fail(api, i, r.err);
      files.add(i, r.handle);
      return { handle: r.handle as JetHandle, size: (BigInt(r.sizeHigh >>> 0) << 32n) | BigInt(r.sizeLow >>> 0) };
    },
    async readFile(instArg, handleArgument, buffer) {
      const api = 'JetReadFileInstance';
      const i = inst(api, instArg);
      const h = handleArg(api, handleArgument);
      const target = bufferArg(api, buffer);
      if (!files.has(i, h)) {
        // Never index ESE's handle table with an unknown handle: a misaligned buffer makes ESE answer
        // its session checks and then -1003, before it looks at the handle.
        probe ??= lib.alignedBuffer(ALIGN).subarray(1);
        const r = await lib.JetReadFileInstance(i, 0n, probe, 0);
        fail(api, i, r.err < 0 ? r.err : JET_err.InvalidParameter, `handle ${h} is not an open backup file`);
      }
      // A page-aligned buffer of a page or more (never one of V8's movable on-heap arrays) is read into
      // directly; any other goes through an aligned one of the pool and is copied.
      if (target.length >= ALIGN && lib.isAligned(target)) {
        const r = await lib.JetReadFileInstance(i, h, target, target.length);
        if (r.err < 0) {
          files.afterReadError(i, h, r.err);
          throw new JetError(api, r.err);
        }
        return Math.min(r.cbActual, target.length);
      }
      const aligned = take(target.length);
      try {
        const r = await lib.JetReadFileInstance(i, h, aligned, target.length);
        if (r.err < 0) {
          files.afterReadError(i, h, r.err);
          throw new JetError(api, r.err);
        }
        const n = Math.min(r.cbActual, target.length);
        target.set(aligned.subarray(0, n));
        return n;
      } finally {
        give(aligned);
      }
    },
    async closeFile(instArg, handleArgument) {
      const api = 'JetCloseFileInstance';
      const i = inst(api, instArg);
      const h = handleArg(api, handleArgument);
      if (!files.has(i, h)) {
        const err = await lib.JetCloseFileInstance(i, CLOSE_PROBE_HANDLE);
        fail(api, i, err < 0 ? err : JET_err.InvalidParameter, `handle ${h} is not an open backup file`);
      }
      const err = await lib.JetCloseFileInstance(i, h);
      if (err >= 0 || err === JET_err.InvalidParameter) files.delete(i, h);
      if (err < 0) fail(api, i, err);
    },
    getLogInfo: (i) => list('JetGetLogInfoInstanceW', i),
    async getLogInfo2(instArg) {
      const api = 'JetGetLogInfoInstance2W';
      const i = inst(api, instArg);
      try {
        const { files: logs, last } = await readEsentList(api, (szz, cb) => lib.JetGetLogInfoInstance2W(i, szz, cb));
        return { files: logs, genLow: last.logInfo.ulGenLow, genHigh: last.logInfo.ulGenHigh, baseName: last.logInfo.szBaseName };
      } catch (e) {
        if (e instanceof JetError) files.afterError(i, e.err);
        throw e;
      }
    },
    getTruncateLogInfo: (i) => list('JetGetTruncateLogInfoInstanceW', i),
    async truncateLog(instArg) {
      const api = 'JetTruncateLogInstance';
      const i = inst(api, instArg);
      await call(api, i, lib.JetTruncateLogInstance(i));
    },
    async endExternalBackup(instArg, grbit) {
      const api = 'JetEndExternalBackupInstance2';
      const i = inst(api, instArg);
      const err = await lib.JetEndExternalBackupInstance2(i, grbitArg(api, grbit, JET_bit.BackupEndNormal));
      if (err >= 0 || err === JET_err.BackupAbortByServer) files.endSession(i);
      if (err < 0) fail(api, i, err);
    },
    async stopService(instArg, grbit) {
      if (hasStopService2) {
        const api = 'JetStopServiceInstance2';
        const i = inst(api, instArg);
        return call(api, i, lib.JetStopServiceInstance2(i, grbitArg(api, grbit, JET_bit.StopServiceAll)));
      }
      const api = 'JetStopServiceInstance';
      const i = inst(api, instArg);
      const bits = grbitArg(api, grbit, JET_bit.StopServiceAll);
      // The old call has one meaning, JET_bitStopServiceAll (it also quiesces the caches); any other
      // grbit asks for what this esent.dll cannot do, so it is refused before the call.
      if (bits !== JET_bit.StopServiceAll) {
        throw new JetError(api, JET_err.InvalidGrbit, {
          detail: `grbit 0x${bits.toString(16)}: this esent.dll has no JetStopServiceInstance2 (Windows 8), and JetStopServiceInstance only stops every service (JET_bitStopServiceAll)`,
        });
      }
      return call(api, i, lib.JetStopServiceInstance(i));
    },
    async term(instArg, grbit) {
      const api = 'JetTerm2';
      const i = inst(api, instArg);
      await call(api, i, lib.JetTerm2(i, grbitArg(api, grbit, JET_bit.TermAbrupt)));
      files.endSession(i);
    },
    stopBackup(instArg: JetInstance) {
      const api = 'JetStopBackupInstance';
      const i = inst(api, instArg);
      const dead = lib.isTerminated(i);
      const err = lib.JetStopBackupInstance(i); // the library answers -1003 for `dead` without calling ESE
      if (err < 0) throw new JetError(api, err, dead ? { detail: 'JetTerm2 was called on this instance: Stop is not sent to ESE' } : {});
    },
  };
}
