import koffi from 'koffi';
import type { EmbeddedEngine } from '../../src/engine/index.js';
import { configureKoffiForEsent, encodeMultiString } from '../../src/esent/index.js';
import { JET_err, JetError } from '../../src/jet/index.js';
import { shimCallName, type ShimApi } from './shim-api.js';
import { externalRestore } from './shim-restore.js';
import { shimParams } from './shim-params.js';
import { shimTables } from './shim-tables.js';

// The JavaScript side of the esent shim: a registered koffi callback receives each Jet* call from C,
// starts the embedded engine's call and returns SHIM_PENDING; when the engine answers, shim_complete()
// hands the JET_ERR, scalars and bytes back to C. Test infrastructure: it imports koffi itself.

const SHIM_PENDING = 1;
const JET_wrnDatabaseAttached = 1007;
/** The calls whose first argument is a JET_INSTANCE (esent.dll validates it first). */
const INSTANCE_CALLS: ReadonlySet<ShimApi> = new Set<ShimApi>([
  'begin',
  'attachInfo',
  'open',
  'read',
  'close',
  'logInfo',
  'logInfo2',
  'truncateInfo',
  'truncate',
  'end',
  'stopBackup',
  'stopService',
  'stopServiceOld',
  'term',
  'setParam',
  'init',
  'beginSession',
]);
const FLAG_MISALIGNED = 2;
const FLAG_GLOBAL = 4;

/** One call as the host received it from C (bigints normalized to unsigned 64 bits). */
export interface ShimCall {
  api: ShimApi;
  instance: bigint;
  arg: bigint;
  /** A second scalar (a column id, a row count), unsigned 64 bits. */
  arg2: bigint;
  /** The `cb` bytes C passed in (a column value, an index key), copied; null when none. */
  data: Uint8Array | null;
  grbit: number;
  cb: number;
  flags: number;
  text: string | null;
  text2: string | null;
}

/** What the host answers C: the JET_ERR, scalar results, and bytes. */
export interface ShimResult {
  err: number;
  values?: bigint[];
  data?: Uint8Array;
}

/** Test hooks around the engine call of every call but JetStopBackupInstance (which answers at once). */
export interface ShimHooks {
  before?(call: ShimCall): void | Promise<void>;
  after?(call: ShimCall, result: ShimResult): void | Promise<void>;
}

/** A running host: the library path to hand to createEsentBackend, and the calls it answered. */
export interface ShimHost {
  readonly library: string;
  readonly calls: Array<ShimCall & { err: number }>;
  close(): void;
}

interface Native {
  register: (fn: unknown) => void;
  complete: (...args: unknown[]) => void;
  callback: unknown;
}

type Dispatch = (id: bigint, call: ShimCall) => number;
/** Running hosts; the most recently started one serves the calls (a test may open several backends in turn). */
const hosts: Dispatch[] = [];
const natives = new Map<string, Native>();
const u64 = (v: unknown): bigint => BigInt.asUintN(64, BigInt(v as number)); // koffi hands uint64 callback args over signed

function nativeFor(library: string): Native {
  let n = natives.get(library);
  if (n) return n;
  configureKoffiForEsent(); // koffi takes its stack sizes only before the first load in the process
  const lib = koffi.load(library);
  let proto;
  try {
    proto = koffi.type('EsentShimHostFn');
  } catch {
    proto = koffi.proto(
      'int32_t EsentShimHostFn(uint64_t id, int32_t api, uint64_t instance, uint64_t arg, uint64_t arg2, uint32_t grbit, uint32_t cb, uint32_t flags, const char16_t *text, const char16_t *text2, const void *data)',
    );
  }
  const callback = koffi.register(
    (
      id: unknown,
      api: number,
      instance: unknown,
      arg: unknown,
      arg2: unknown,
      grbit: number,
      cb: number,
      flags: number,
      text: string | null,
      text2: string | null,
      data: unknown,
    ) => {
      // C waits for the completion, but the bytes are copied now: the host answers later, asynchronously.
      const bytes = data && cb > 0 ? new Uint8Array(koffi.view(data, cb).slice(0)) : null;
      return hosts.length
        ? hosts[hosts.length - 1]!(u64(id), {
            api: shimCallName(api),
            instance: u64(instance),
            arg: u64(arg),
            arg2: u64(arg2),
            grbit,
            cb,
            flags,
            text,
            text2,
            data: bytes,
          })
        : -1090; // JET_errInstanceUnavailable
    },
    koffi.pointer(proto),
  );
  n = {
    register: lib.func('void shim_register(EsentShimHostFn *host)'),
    complete: lib.func(
      'void shim_complete(uint64_t id, int32_t err, const uint64_t *values, uint32_t cvalues, const uint8_t *data, uint32_t cbdata)',
    ),
    callback,
  };
  natives.set(library, n);
  return n;
}

const errOf = (e: unknown): number => {
  if (e instanceof JetError) return e.err;
  console.error('esent shim host: the engine threw a non-JetError', e);
  return -107; // JET_errInternalError
};

/**
 * Serve the shim's calls from `engine` until `close()`. Hosts stack: the newest serves every call.
 *
 * @example
 * const host = startEsentShimHost(engine, { library: buildEsentShim() });
 * const api = createEsentBackend({ library: host.library });
 */
export function startEsentShimHost(engine: EmbeddedEngine, options: { library: string; hooks?: ShimHooks }): ShimHost {
  const native = nativeFor(options.library);
  const hooks = options.hooks ?? {};
  const calls: ShimHost['calls'] = [];
  const params = shimParams(engine);
  const tables = shimTables(engine, params);

  const perform = async (c: ShimCall): Promise<ShimResult> => {
    const inst = params.real(c.instance);
    const list = (files: string[]): ShimResult => ({ err: 0, data: encodeMultiString(files) });
    switch (c.api) {
      case 'begin':
        return (void (await engine.beginExternalBackup(inst, c.grbit)), { err: 0 });
      case 'attachInfo':
        return list(await engine.getAttachInfo(inst));
      case 'open': {
        const r = await engine.openFile(inst, c.text ?? '');
        return { err: 0, values: [r.handle, r.size] };
      }
      case 'read': {
        // esent.dll checks the buffer's alignment after its session checks: a 0-byte read does the same here.
        if (c.flags & FLAG_MISALIGNED) return (await engine.readFile(inst, c.arg, new Uint8Array(0)), { err: JET_err.InvalidParameter });
        const buffer = Buffer.allocUnsafe(c.cb);
        const n = await engine.readFile(inst, c.arg, buffer);
        return { err: 0, values: [BigInt(n)], data: buffer.subarray(0, n) };
      }
      case 'close':
        return (void (await engine.closeFile(inst, c.arg)), { err: 0 });
      case 'logInfo':
        return list(await engine.getLogInfo(inst));
      case 'logInfo2': {
        const r = await engine.getLogInfo2(inst);
        const files = encodeMultiString(r.files);
        return {
          err: 0,
          values: [BigInt(r.genLow), BigInt(r.genHigh), BigInt(files.length)],
          data: Buffer.concat([files, Buffer.from(`${r.baseName}\0`, 'utf16le')]),
        };
      }
      case 'truncateInfo':
        return list(await engine.getTruncateLogInfo(inst));
      case 'truncate':
        return (void (await engine.truncateLog(inst)), { err: 0 });
      case 'end':
        return (void (await engine.endExternalBackup(inst, c.grbit)), { err: 0 });
      case 'stopService':
        return (void (await engine.stopService(inst, c.grbit)), { err: 0 });
      case 'stopServiceOld':
        return (void (await engine.stopService(inst, 0)), { err: 0 }); // JET_bitStopServiceAll
      case 'term':
        return (void (await engine.term(inst, c.grbit)), { err: 0 });
      case 'createInstance':
        return { err: 0, values: [params.create(c.text, c.text2)] };
      case 'setParam':
        return { err: params.set(c.instance, c.grbit, c.arg, c.text, (c.flags & FLAG_GLOBAL) !== 0) };
      case 'init':
        return (void (await params.init(c.instance)), { err: 0 });
      case 'beginSession':
        return { err: 0, values: [params.beginSession(c.instance)] };
      case 'attachDatabase': {
        const inst = params.sessionInstance(c.instance);
        // Recovery re-attached it (after a restore): ESE answers JET_wrnDatabaseAttached.
        if (params.attachedByName(inst, c.text ?? '') !== undefined) return { err: JET_wrnDatabaseAttached };
        return (void tables.remember(await engine.attachDatabase(inst, c.text ?? '')), { err: 0 });
      }
      case 'createDatabase': {
        tables.remember(await engine.createDatabase(params.sessionInstance(c.instance), c.text ?? ''));
        return { err: 0, values: [params.nextDbid()] };
      }
      case 'endSession':
        return { err: params.endSession(c.instance) };
      case 'openDatabase':
        return tables.openDatabase(c);
      case 'closeDatabase':
        return tables.closeDatabase(c);
      case 'externalRestore':
        return externalRestore(engine, params, c, tables.remember);
      case 'instanceInfo': {
        const infos = params.instances();
        return {
          err: 0,
          values: infos.map((i) => i.instance),
          data: Buffer.concat(infos.map((i) => encodeMultiString([i.name, ...i.databases]))),
        };
      }
      default:
        return tables.handles(c.api) ? tables.perform(c) : { err: JET_err.InvalidParameter };
    }
  };

  const complete = (id: bigint, c: ShimCall, r: ShimResult) => {
    calls.push({ ...c, err: r.err });
    const values = r.values?.length ? BigUint64Array.from(r.values.map((v) => BigInt.asUintN(64, v))) : null;
    native.complete(id, r.err, values, values?.length ?? 0, r.data ?? null, r.data?.length ?? 0);
  };

  const dispatch: Dispatch = (id, c) => {
    // esent.dll's handle probe comes before everything else (JET_VALIDATE_INSTANCE).
    if (INSTANCE_CALLS.has(c.api) && !(c.flags & FLAG_GLOBAL) && params.isGarbage(c.instance)) {
      calls.push({ ...c, err: JET_err.InvalidInstance });
      return JET_err.InvalidInstance;
    }
    // An instance created but not initialized lives only here (the engine creates it at JetInit): answer as
    // ESE does for one: Stop succeeds, Term ends it, every other backup call is -1029.
    if (INSTANCE_CALLS.has(c.api) && c.api !== 'setParam' && c.api !== 'init' && params.isPending(c.instance)) {
      const err = c.api === 'stopBackup' ? 0 : c.api === 'term' ? (params.dropPending(c.instance), 0) : JET_err.NotInitialized;
      calls.push({ ...c, err });
      if (c.api === 'stopBackup') return err;
      native.complete(id, err, null, 0, null, 0);
      return SHIM_PENDING;
    }
    if (c.api === 'stopBackup') {
      let err = 0;
      try {
        engine.stopBackup(params.real(c.instance));
      } catch (e) {
        err = errOf(e);
      }
      calls.push({ ...c, err });
      return err;
    }
    void (async () => {
      let result: ShimResult;
      try {
        await hooks.before?.(c);
        result = await perform(c);
      } catch (e) {
        result = { err: errOf(e) };
      }
      try {
        await hooks.after?.(c, result);
      } catch (e) {
        console.error('esent shim host: an after hook threw', e);
      }
      complete(id, c, result);
    })();
    return SHIM_PENDING;
  };
  hosts.push(dispatch);
  native.register(native.callback);

  return {
    library: options.library,
    calls,
    close() {
      const at = hosts.indexOf(dispatch);
      if (at >= 0) hosts.splice(at, 1);
    },
  };
}
