/**
 * ESE's ECC page checksum as a WebAssembly SIMD (v128) kernel: the same arithmetic as
 * `blockChecksum` in `block-checksum.ts`, one 16-byte row per v128, about eight times the throughput of
 * the JavaScript kernel on pages already in its memory (four times when they must be copied there). The
 * JavaScript kernel stays the oracle and the fallback: this one only ever *accepts* a page whose every
 * stored checksum it recomputed equal (or an all-zero page); anything else is handed back to the
 * JavaScript verifier, which has the last word. So a bug here could at worst make verification slower,
 * unless it accepts a page the JavaScript kernel rejects, which the tests rule out on random pages of
 * every size and every single-bit flip.
 *
 * WebAssembly reads only its own memory: pages in a caller's buffer are copied into a small scratch
 * memory ({@link wasmPageKernel}), unless the buffer comes from {@link allocateBackupBuffer}, which lives
 * in the memory of its own kernel instance and is checked in place. Measured in a read/verify/write loop
 * on page-cache-resident files, the copy costs more than the kernel: it slows the surrounding read and
 * write system calls as well.
 *
 * The module is assembled at first use from the listing below ({@link pageChecksumModule}); its bytes are
 * deterministic and small (under 1 KiB).
 */
import { ESE_SMALL_PAGE_MAX, EseOffset, PAGE_FLAG_NEW_CHECKSUM } from './ese-format.js';
import { encodeModule, FunctionBuilder, I32, I64, V128, type Local } from './wasm-encoder.js';

// Function indexes inside the module.
const BLOCK = 0;
const PAGE_OK = 1;
const DATA_PAGES = 2;

/** Parity (0 or 1) of the 128-bit local `v`, left on the stack as an i32. */
function parity128(f: FunctionBuilder, v: Local<typeof V128>): FunctionBuilder {
  return f.get(v).i64x2_extract_lane(0).get(v).i64x2_extract_lane(1).i64_xor().i64_popcnt().i32_wrap_i64().i32_const(1).i32_and();
}

/** `-(parity of the i32 computed by push)`: all ones when odd, else 0. */
function parityMask(f: FunctionBuilder, push: () => void): FunctionBuilder {
  f.i32_const(0);
  push();
  return f.i32_popcnt().i32_const(1).i32_and().i32_sub();
}

/**
 * `block(p, bytes, header, pgno) -> i64`: the stored form `(ecc << 32) | (xor ^ pgno)` of the block at
 * `p` (`bytes` a multiple of 128, at most 8192), as `blockChecksum` computes it.
 *
 * Per group of eight rows (128 bytes): the rows are XORed into the total and into the three
 * accumulators of row-index bits 0-2 (rows 1,3,5,7 / 2,3,6,7 / 4-7), and the parity of the group's XOR
 * puts the group number (row-index bits 3-8) into `groupBits`. The final fold to 32 bits is scalar.
 */
function blockFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32], [I64]);
  const p = f.param(0, I32);
  const bytes = f.param(1, I32);
  const header = f.param(2, I32);
  const pgno = f.param(3, I32);
  const q = f.local(I32);
  const end = f.local(I32);
  const group = f.local(I32);
  const groupBits = f.local(I32);
  const total = f.local(V128);
  const odd1 = f.local(V128);
  const odd2 = f.local(V128);
  const odd4 = f.local(V128);
  const v128 = () => f.local(V128);
  const [r0, r1, r2, r3, r4, r5, r6, r7] = [v128(), v128(), v128(), v128(), v128(), v128(), v128(), v128()] as const;
  const r = [r0, r1, r2, r3, r4, r5, r6, r7];
  const [t01, t23, t45, t67, upper, g] = [v128(), v128(), v128(), v128(), v128(), v128()] as const;
  const xor = (to: Local<typeof V128>, a: Local<typeof V128>, b: Local<typeof V128>) => f.get(a).get(b).v128_xor().set(to);

  f.get(p).tee(q).get(bytes).i32_add().set(end);
  f.loop();
  for (let j = 0; j < 8; j++)
    f.get(q)
      .v128_load(16 * j)
      .set(r[j]!);
  xor(t01, r0, r1);
  xor(t23, r2, r3);
  xor(t45, r4, r5);
  xor(t67, r6, r7);
  xor(upper, t45, t67);
  xor(odd4, odd4, upper);
  f.get(t01).get(t23).v128_xor().get(upper).v128_xor().set(g);
  xor(total, total, g);
  f.get(odd2).get(t23).v128_xor().get(t67).v128_xor().set(odd2);
  f.get(odd1).get(r1).get(r5).v128_xor().v128_xor().get(r3).get(r7).v128_xor().v128_xor().set(odd1);
  // groupBits ^= group & -parity(g)
  f.get(groupBits).get(group).i32_const(0);
  parity128(f, g).i32_sub().i32_and().i32_xor().set(groupBits);
  f.get(group)
    .i32_const(1 << 10)
    .i32_add()
    .set(group);
  f.get(q).i32_const(128).i32_add().tee(q).get(end).i32_lt_u().br_if(0);
  f.end();

  // The header block's first 8 bytes hold the checksum and count as 0; row 0 only touches the columns.
  f.get(header).if_().get(total).get(p).v128_load64_zero().v128_xor().set(total).end();
  const c = [0, 1, 2, 3].map((lane) => {
    const local = f.local(I32);
    f.get(total).i32x4_extract_lane(lane).set(local);
    return local;
  }) as [Local<typeof I32>, Local<typeof I32>, Local<typeof I32>, Local<typeof I32>];
  const r0w = f.local(I32);
  const r1w = f.local(I32);
  const all = f.local(I32);
  const totalMask = f.local(I32);
  const rowLow = f.local(I32);
  const low = f.local(I32);
  f.get(c[0]).get(c[2]).i32_xor().set(r0w);
  f.get(c[1]).get(c[3]).i32_xor().set(r1w);
  f.get(r0w).get(r1w).i32_xor().set(all);
  parityMask(f, () => f.get(all)).set(totalMask);
  // rowLow = groupBits | parity(odd1) << 7 | parity(odd2) << 8 | parity(odd4) << 9
  f.get(groupBits);
  parity128(f, odd1).i32_const(7).i32_shl().i32_or();
  parity128(f, odd2).i32_const(8).i32_shl().i32_or();
  parity128(f, odd4).i32_const(9).i32_shl().i32_or();
  f.set(rowLow);
  // low = bit positions within a word: parity(all & COLUMN_BITb) << b
  [0xaaaaaaaa, 0xcccccccc, 0xf0f0f0f0, 0xff00ff00, 0xffff0000].forEach((mask, b) => {
    f.get(all).i32_const(mask).i32_and().i32_popcnt().i32_const(1).i32_and();
    if (b > 0) f.i32_const(b).i32_shl().i32_or();
  });
  f.set(low);
  // hi = ((rowHigh << 16 | rowLow | columns) & sizeMask) | (high << 16) | low
  f.get(rowLow).get(totalMask).i32_xor().i32_const(0xff80).i32_and().i32_const(16).i32_shl();
  f.get(rowLow).i32_or();
  const column = (bit: number, push: () => void) => {
    parityMask(f, push).i32_const(bit).i32_and().i32_or();
  };
  column(0x00400000, () => f.get(c[0]).get(c[1]).i32_xor());
  column(0x00000040, () => f.get(c[2]).get(c[3]).i32_xor());
  column(0x00200000, () => f.get(r0w));
  column(0x00000020, () => f.get(r1w));
  // sizeMask = (bytes << 19) - 1: all ones for 8 KiB blocks (the shift wraps to 0).
  f.get(bytes).i32_const(19).i32_shl().i32_const(1).i32_sub().i32_and();
  f.get(low).get(totalMask).i32_const(0x1f).i32_and().i32_xor().i32_const(16).i32_shl().i32_or();
  f.get(low).i32_or();
  // (hi << 32) | (all ^ pgno)
  f.i64_extend_i32_u().i64_const(32n).i64_shl();
  f.get(all).get(pgno).i32_xor().i64_extend_i32_u().i64_or();
  return f;
}

/**
 * `pageOk(p, bytes, pgno) -> i32`: 1 when the data page at `p` is all zero, or carries ECC checksums
 * (flag 0x2000) that all match and, above 8 KiB, its own pgno at offset 64; 0 otherwise (which includes
 * every old-format page: the JavaScript verifier decides those).
 */
function pageOkFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32], [I32]);
  const p = f.param(0, I32);
  const bytes = f.param(1, I32);
  const pgno = f.param(2, I32);
  const q = f.local(I32);
  const end = f.local(I32);
  const acc = f.local(V128);
  const quarter = f.local(I32);

  // A page never written is all zero, its stored checksum included.
  f.get(p).i64_load().i64_eqz().if_();
  f.get(p).tee(q).get(bytes).i32_add().set(end);
  f.loop();
  f.get(acc);
  for (let j = 0; j < 4; j++)
    f.get(q)
      .v128_load(16 * j)
      .v128_or();
  f.set(acc);
  f.get(q).i32_const(64).i32_add().tee(q).get(end).i32_lt_u().br_if(0);
  f.end();
  f.get(acc).v128_any_true().i32_eqz().if_().i32_const(1).return_().end();
  f.end();

  f.get(p).i32_load(EseOffset.pageFlags).i32_const(PAGE_FLAG_NEW_CHECKSUM).i32_and().i32_eqz().if_().i32_const(0).return_().end();
  f.get(bytes).i32_const(ESE_SMALL_PAGE_MAX).i32_le_u().if_();
  f.get(p).get(bytes).i32_const(1).get(pgno).call(BLOCK).get(p).i64_load().i64_eq().return_();
  f.end();
  f.get(bytes).i32_const(2).i32_shr_u().set(quarter);
  f.get(p).get(quarter).i32_const(1).get(pgno).call(BLOCK).get(p).i64_load().i64_ne().if_().i32_const(0).return_().end();
  for (let block = 1; block < 4; block++) {
    f.get(p).get(quarter).i32_const(block).i32_mul().i32_add().get(quarter).i32_const(0).get(pgno).call(BLOCK);
    f.get(p)
      .i64_load(EseOffset.pageBlockChecksums + 8 * (block - 1))
      .i64_ne()
      .if_()
      .i32_const(0)
      .return_()
      .end();
  }
  f.get(p).i32_load(EseOffset.largePagePgno).get(pgno).i32_eq();
  return f;
}

/**
 * `dataPages(p, pages, bytes, pgno) -> i32`: checks `pages` data pages of `bytes` each from `p`, the
 * first one being page `pgno`, and returns the index of the first one {@link pageOkFunction} does not
 * accept, or `pages`.
 */
function dataPagesFunction(): FunctionBuilder {
  const f = new FunctionBuilder([I32, I32, I32, I32], [I32]);
  const p = f.param(0, I32);
  const pages = f.param(1, I32);
  const bytes = f.param(2, I32);
  const pgno = f.param(3, I32);
  const i = f.local(I32);
  f.block().loop();
  f.get(i).get(pages).i32_ge_u().br_if(1);
  f.get(p).get(bytes).get(pgno).call(PAGE_OK).i32_eqz().if_().get(i).return_().end();
  f.get(p).get(bytes).i32_add().set(p);
  f.get(pgno).i32_const(1).i32_add().set(pgno);
  f.get(i).i32_const(1).i32_add().set(i);
  f.br(0);
  f.end().end();
  f.get(pages);
  return f;
}

/**
 * Bytes of the scratch memory the kernel verifies in (one WebAssembly page): pages are copied there a
 * slice at a time. Measured with reads of 64 KiB to 1 MiB, slices of 32 to 256 KiB cost the same; the
 * smallest memory that holds a 32 KiB page twice over stays in the faster caches.
 */
export const WASM_SLICE_BYTES = 64 * 1024;

/** The kernel's module bytes (deterministic); exports `block`, `pageOk`, `dataPages`, imports `env.memory` (at least one page). */
export function pageChecksumModule(): Uint8Array {
  return encodeModule(
    [blockFunction(), pageOkFunction(), dataPagesFunction()],
    { block: BLOCK, pageOk: PAGE_OK, dataPages: DATA_PAGES },
    1,
  );
}

/** The kernel over one memory: pages must lie in that memory to be checked. */
export interface WasmPageKernel {
  /** The whole memory. */
  readonly bytes: Uint8Array;
  /** Stored-form checksum of the block at byte `at` of the memory (a BigInt: for tests). */
  block(at: number, bytes: number, header: boolean, pgno: number): bigint;
  /** Index of the first of `pages` data pages at byte `at` that the kernel does not accept, or `pages`. */
  dataPages(at: number, pages: number, pageSize: number, pgno: number): number;
}

/** The part of the WebAssembly global this needs (lib "dom" is not in the project's tsconfig). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

interface KernelExports {
  block(p: number, bytes: number, header: number, pgno: number): bigint;
  dataPages(p: number, pages: number, bytes: number, pgno: number): number;
}

const wasmApi = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
let compiled: object | null | undefined;
let scratch: WasmPageKernel | null | undefined;
/** The kernels of the buffers {@link allocateBackupBuffer} made, by their memory. */
const owners = new WeakMap<ArrayBufferLike, WasmPageKernel>();
let enabled = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.ESE_BACKUP_PAGE_KERNEL !== 'js';

/**
 * Turns the WebAssembly kernel on or off for this thread (on by default; the environment variable
 * `ESE_BACKUP_PAGE_KERNEL=js` starts with it off). For benchmarks that compare the kernels side by side,
 * and as an escape hatch: both kernels give the same answers.
 */
export function useWasmPageKernel(on: boolean): void {
  enabled = on;
}

/** The compiled module, or `null` where WebAssembly or its SIMD instructions are not available. */
function compiledModule(): object | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    const bytes = pageChecksumModule();
    if (wasmApi?.validate(bytes)) compiled = new wasmApi.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
}

/** A kernel instance over a new memory of `pages` 64 KiB pages. */
function instantiate(module: object, api: WebAssemblyApi, pages: number): WasmPageKernel {
  const memory = new api.Memory({ initial: pages, maximum: pages });
  const { block, dataPages } = new api.Instance(module, { env: { memory } }).exports as KernelExports;
  return {
    bytes: new Uint8Array(memory.buffer),
    block: (at, size, header, pgno) => block(at, size, header ? 1 : 0, pgno | 0),
    dataPages: (at, pages, pageSize, pgno) => dataPages(at, pages, pageSize, pgno | 0),
  };
}

/**
 * The kernel's compiled module, for another thread to instantiate over a memory of its own (a
 * `WebAssembly.Module` can be posted to a worker); `null` when the kernel is turned off for this thread
 * or unavailable, so a thread that checks pages for this one follows its choice of kernel.
 */
export function pageKernelModule(): object | null {
  return enabled ? compiledModule() : null;
}

/**
 * The kernel over its own scratch memory of {@link WASM_SLICE_BYTES}, into which pages are copied to be
 * checked; instantiated at first call; `null` when turned off or unavailable (the caller then uses the
 * JavaScript kernel).
 */
export function wasmPageKernel(): WasmPageKernel | null {
  if (!enabled) return null;
  if (scratch !== undefined) return scratch;
  const module = compiledModule();
  scratch = module && wasmApi ? instantiate(module, wasmApi, WASM_SLICE_BYTES >>> 16) : null;
  return scratch;
}

/**
 * The kernel whose memory `bytes` lies in, when `bytes` comes from {@link allocateBackupBuffer} (and the
 * WebAssembly kernel is on): its pages are checked where they are, without a copy.
 */
export function ownPageKernel(bytes: Uint8Array): WasmPageKernel | null {
  return enabled ? (owners.get(bytes.buffer) ?? null) : null;
}

/**
 * A zero-filled read buffer of `size` bytes for `JetReadFileInstance`, which the embedded engine
 * verifies in place: the buffer lives in the memory of its own instance of the WebAssembly page kernel,
 * so the pages read into it are checked where they lie instead of being copied into the kernel's memory
 * first. Any Uint8Array works with `readFile`, with the same answers; this one streams faster (measured
 * with `npm run bench:engine`). Allocate it once per stream and reuse it. Where WebAssembly SIMD is not
 * available it is a plain Uint8Array.
 *
 * Like the page-aligned buffers ESE's own clients allocate for backup reads (VirtualAlloc): the memory
 * starts on a 64 KiB boundary.
 *
 * @param size bytes, a positive integer (a multiple of the page size to be useful with `readFile`).
 * @throws RangeError when `size` is not a positive safe integer.
 * @example
 * const buffer = allocateBackupBuffer(256 * 1024);
 * for (let n; (n = await engine.readFile(inst, handle, buffer)) > 0; ) fs.writeSync(fd, buffer, 0, n);
 */
export function allocateBackupBuffer(size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`size must be a positive integer, got ${size}`);
  const module = compiledModule();
  if (!module || !wasmApi) return new Uint8Array(size);
  let kernel: WasmPageKernel;
  try {
    kernel = instantiate(module, wasmApi, Math.ceil(size / 65536));
  } catch {
    return new Uint8Array(size); // more than WebAssembly memory can hold
  }
  owners.set(kernel.bytes.buffer, kernel);
  return kernel.bytes.subarray(0, size);
}
