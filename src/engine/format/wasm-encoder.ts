/**
 * A minimal WebAssembly binary encoder: just what the page-checksum kernel needs (one imported memory,
 * i32/i64/v128 locals, structured control flow, scalar and SIMD instructions). The kernel is written
 * against {@link FunctionBuilder}, whose method names follow the WAT mnemonics (`i32_add` is `i32.add`),
 * so it reads like a WAT listing while TypeScript loops unroll it. No dependency, no build step: the
 * bytes are the same on every run, and WebAssembly.validate plus the oracle tests check them.
 */

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof V128;

/** An empty block type (`block`, `loop`, `if` without a result). */
const EMPTY = 0x40;

function unsigned(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function signed(out: number[], value: bigint): void {
  let v = value;
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** A local variable or parameter index, typed so that a v128 cannot be passed where an i32 is meant. */
export interface Local<T extends ValType> {
  readonly index: number;
  readonly type: T;
}

/** Emits one function body; method names are WAT mnemonics with `.` written `_`. */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(
    readonly paramTypes: readonly ValType[],
    readonly results: readonly ValType[],
  ) {}

  /** The parameter `index`, with its type checked. */
  param<T extends ValType>(index: number, type: T): Local<T> {
    if (this.paramTypes[index] !== type) throw new TypeError(`parameter ${index} is not of type ${type}`);
    return { index, type };
  }

  /** A new local of `type`. */
  local<T extends ValType>(type: T): Local<T> {
    this.locals.push(type);
    return { index: this.paramTypes.length + this.locals.length - 1, type };
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...immediates: number[]): this {
    this.code.push(0xfd);
    unsigned(this.code, opcode);
    this.code.push(...immediates);
    return this;
  }

  private memarg(opcode: number, align: number, offset: number, simd = false): this {
    if (simd) {
      this.code.push(0xfd);
      unsigned(this.code, opcode);
    } else this.code.push(opcode);
    unsigned(this.code, align);
    unsigned(this.code, offset);
    return this;
  }

  // Control.
  block(): this {
    return this.op(0x02, EMPTY);
  }
  loop(): this {
    return this.op(0x03, EMPTY);
  }
  if_(): this {
    return this.op(0x04, EMPTY);
  }
  end(): this {
    return this.op(0x0b);
  }
  br(depth: number): this {
    this.code.push(0x0c);
    unsigned(this.code, depth);
    return this;
  }
  br_if(depth: number): this {
    this.code.push(0x0d);
    unsigned(this.code, depth);
    return this;
  }
  return_(): this {
    return this.op(0x0f);
  }
  call(func: number): this {
    this.code.push(0x10);
    unsigned(this.code, func);
    return this;
  }

  // Locals.
  get(local: Local<ValType>): this {
    this.code.push(0x20);
    unsigned(this.code, local.index);
    return this;
  }
  set(local: Local<ValType>): this {
    this.code.push(0x21);
    unsigned(this.code, local.index);
    return this;
  }
  tee(local: Local<ValType>): this {
    this.code.push(0x22);
    unsigned(this.code, local.index);
    return this;
  }

  // Memory (align is log2 of the alignment hint).
  i32_load(offset = 0): this {
    return this.memarg(0x28, 2, offset);
  }
  i64_load(offset = 0): this {
    return this.memarg(0x29, 3, offset);
  }
  v128_load(offset = 0): this {
    return this.memarg(0x00, 4, offset, true);
  }
  v128_load64_zero(offset = 0): this {
    return this.memarg(0x5d, 3, offset, true);
  }

  // Constants.
  i32_const(value: number): this {
    this.code.push(0x41);
    signed(this.code, BigInt(value | 0));
    return this;
  }
  i64_const(value: bigint): this {
    this.code.push(0x42);
    signed(this.code, BigInt.asIntN(64, value));
    return this;
  }

  // i32.
  i32_eqz(): this {
    return this.op(0x45);
  }
  i32_eq(): this {
    return this.op(0x46);
  }
  i32_lt_u(): this {
    return this.op(0x49);
  }
  i32_le_u(): this {
    return this.op(0x4d);
  }
  i32_ge_u(): this {
    return this.op(0x4f);
  }
  i32_popcnt(): this {
    return this.op(0x69);
  }
  i32_add(): this {
    return this.op(0x6a);
  }
  i32_sub(): this {
    return this.op(0x6b);
  }
  i32_mul(): this {
    return this.op(0x6c);
  }
  i32_and(): this {
    return this.op(0x71);
  }
  i32_or(): this {
    return this.op(0x72);
  }
  i32_xor(): this {
    return this.op(0x73);
  }
  i32_shl(): this {
    return this.op(0x74);
  }
  i32_shr_u(): this {
    return this.op(0x76);
  }
  i32_wrap_i64(): this {
    return this.op(0xa7);
  }

  // i64.
  i64_eqz(): this {
    return this.op(0x50);
  }
  i64_eq(): this {
    return this.op(0x51);
  }
  i64_ne(): this {
    return this.op(0x52);
  }
  i64_popcnt(): this {
    return this.op(0x7b);
  }
  i64_or(): this {
    return this.op(0x84);
  }
  i64_xor(): this {
    return this.op(0x85);
  }
  i64_shl(): this {
    return this.op(0x86);
  }
  i64_extend_i32_u(): this {
    return this.op(0xad);
  }

  // v128.
  v128_or(): this {
    return this.simd(0x50);
  }
  v128_xor(): this {
    return this.simd(0x51);
  }
  v128_any_true(): this {
    return this.simd(0x53);
  }
  i32x4_extract_lane(lane: number): this {
    return this.simd(0x1b, lane);
  }
  i64x2_extract_lane(lane: number): this {
    return this.simd(0x1d, lane);
  }

  /** The encoded body: local declarations, code, `end`. */
  encode(): number[] {
    const out: number[] = [];
    const runs: Array<[number, ValType]> = [];
    for (const type of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === type) last[0]++;
      else runs.push([1, type]);
    }
    unsigned(out, runs.length);
    for (const [count, type] of runs) {
      unsigned(out, count);
      out.push(type);
    }
    out.push(...this.code, 0x0b);
    const sized: number[] = [];
    unsigned(sized, out.length);
    return [...sized, ...out];
  }
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id);
  unsigned(out, content.length);
  out.push(...content);
}

function name(out: number[], text: string): void {
  const bytes = new TextEncoder().encode(text);
  unsigned(out, bytes.length);
  out.push(...bytes);
}

/**
 * A module importing one memory (`env.memory`, at least `minPages` 64 KiB pages) and defining
 * `functions` in order (function index = position); `exports` maps export names to function indexes.
 */
export function encodeModule(functions: readonly FunctionBuilder[], exports: Record<string, number>, minPages: number): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  // Types: one per function (duplicates are legal and keep this simple).
  const types: number[] = [];
  unsigned(types, functions.length);
  for (const f of functions) {
    types.push(0x60);
    unsigned(types, f.paramTypes.length);
    types.push(...f.paramTypes);
    unsigned(types, f.results.length);
    types.push(...f.results);
  }
  section(out, 1, types);
  const imports: number[] = [];
  unsigned(imports, 1);
  name(imports, 'env');
  name(imports, 'memory');
  imports.push(0x02, 0x00);
  unsigned(imports, minPages);
  section(out, 2, imports);
  const funcs: number[] = [];
  unsigned(funcs, functions.length);
  functions.forEach((_, i) => unsigned(funcs, i));
  section(out, 3, funcs);
  const exp: number[] = [];
  const entries = Object.entries(exports);
  unsigned(exp, entries.length);
  for (const [n, index] of entries) {
    name(exp, n);
    exp.push(0x00);
    unsigned(exp, index);
  }
  section(out, 7, exp);
  const code: number[] = [];
  unsigned(code, functions.length);
  for (const f of functions) code.push(...f.encode());
  section(out, 10, code);
  return new Uint8Array(out);
}
