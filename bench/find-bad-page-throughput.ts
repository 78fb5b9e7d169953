/**
 * npm run bench:pages — findBadPage's throughput on 1 MiB chunks (as a backup reads them) of 4 KiB and
 * 32 KiB pages, each kernel measured side by side in interleaved rounds: the WebAssembly kernel on a
 * buffer from allocateBackupBuffer (checked in place), the same kernel on a plain Uint8Array (copied
 * into its memory first), and the JavaScript kernel. Prints GB/s (median of rounds) and each kernel's
 * ratio to the JavaScript kernel. Moved here from test/engine/format/find-bad-page.test.ts: a busy loop
 * is a benchmark, not a test. Env: BENCH_ROUNDS (default 5), BENCH_MS (per kernel per round, default 300).
 */
import { arch, cpus } from 'node:os';
import { findBadPage, findBadPageJs } from '../src/engine/format/find-bad-page.js';
import { allocateBackupBuffer, wasmPageKernel } from '../src/engine/format/page-checksum-wasm.js';
import { databaseImage } from '../test/engine/format/database-image.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const legMs = Number(process.env.BENCH_MS ?? 300);
const wasm = wasmPageKernel() !== null;
const kernels = [
  { name: wasm ? 'WebAssembly, in place' : 'JavaScript (no WebAssembly SIMD)', find: findBadPage, inPlace: true },
  { name: wasm ? 'WebAssembly, copied' : 'JavaScript (no WebAssembly SIMD)', find: findBadPage, inPlace: false },
  { name: 'JavaScript', find: findBadPageJs, inPlace: false },
] as const;

/** GB/s of `find` over `image`, for `legMs` of wall time. */
function measure(find: typeof findBadPage, image: Uint8Array, pageSize: number): number {
  let bytes = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(legMs) * 1_000_000n;
  while (process.hrtime.bigint() - started < budget) {
    find(image, 0, pageSize);
    bytes += image.length;
  }
  return bytes / (Number(process.hrtime.bigint() - started) / 1e9) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const pageSize of [4096, 32768]) {
  const plain = databaseImage(pageSize, (1 << 20) / pageSize - 2);
  const own = allocateBackupBuffer(plain.length);
  own.set(plain);
  const figures = kernels.map(() => [] as number[]);
  for (const k of kernels) {
    const image = k.inPlace ? own : plain;
    if (k.find(image, 0, pageSize) !== -1) throw new Error(`${k.name}: a good image reads as bad`);
    for (let warm = 0; warm < 50; warm++) k.find(image, 0, pageSize);
  }
  // Interleaved: each round measures every kernel once, so a slow moment of the machine hits all of them.
  for (let r = 0; r < rounds; r++)
    for (const [i, k] of kernels.entries()) figures[i]!.push(measure(k.find, k.inPlace ? own : plain, pageSize));
  const js = median(figures[2]!);
  for (const [i, k] of kernels.entries()) {
    const m = median(figures[i]!);
    console.log(
      `findBadPage ${pageSize / 1024} KiB pages, ${k.name} kernel: ${m.toFixed(2)} GB/s (median of ${rounds}), ${(m / js).toFixed(2)}x the JavaScript kernel`,
    );
  }
}
console.log(`(node ${process.version}, ${arch()}, ${cpus()[0]?.model ?? 'unknown cpu'})`);
