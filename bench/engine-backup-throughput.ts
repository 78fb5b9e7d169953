/**
 * npm run bench:engine — full streaming backup through the embedded engine's API into files, against
 * `cp` of the same files, measured side by side in one run (warm page cache for both). Also measured, as
 * references: the API with a plain Uint8Array and with the JavaScript page kernel, and the same client
 * loop without the API. Medians and bests of interleaved rounds: on a shared machine whole legs slow
 * down at random, so the best of several rounds is the steadier figure.
 * Env: BENCH_GIB (database size, default 1), BENCH_DIR (default: os.tmpdir()), BENCH_ROUNDS (default 7).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedEngine, JET_bit, type EmbeddedEngine, type JetInstance } from '../src/index.js';
import { allocateBackupBuffer, useWasmPageKernel, wasmPageKernel } from '../src/engine/format/page-checksum-wasm.js';

const GiB = 1024 ** 3;
const sizeGiB = Number(process.env.BENCH_GIB ?? 1);
const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'ese-bench-'));
const mib = (b: number) => (b / 1024 / 1024).toFixed(0);

/**
 * One full backup through the API; resolves with the bytes streamed and the files they came from.
 *
 * What a client should do, as measured here: one read buffer from `allocateBackupBuffer` (the engine
 * checks the pages where they lie; any other Uint8Array costs a copy into the checksum kernel's memory),
 * reused for every read, and synchronous writes of each chunk. Side by side, an async write pipeline
 * gains nothing on page-cache-resident files and costs a thread-pool round trip per chunk, and handing
 * verification to a worker thread loses more in wake-ups than it saves.
 */
async function backupThroughApi(
  engine: EmbeddedEngine,
  inst: JetInstance,
  readSize: number,
  to: string,
  plainBuffer = false,
): Promise<{ bytes: number; files: string[] }> {
  fs.mkdirSync(to);
  const buffer = plainBuffer ? new Uint8Array(readSize) : allocateBackupBuffer(readSize);
  let bytes = 0;
  const files: string[] = [];
  const copy = async (file: string) => {
    files.push(file);
    const { handle } = await engine.openFile(inst, file);
    const fd = fs.openSync(path.join(to, path.basename(file)), 'w');
    for (let n, position = 0; (n = await engine.readFile(inst, handle, buffer)) > 0; position += n, bytes += n)
      fs.writeSync(fd, buffer, 0, n, position);
    fs.closeSync(fd);
    await engine.closeFile(inst, handle);
  };
  await engine.beginExternalBackup(inst);
  for (const f of await engine.getAttachInfo(inst)) await copy(f);
  for (const f of await engine.getLogInfo(inst)) await copy(f);
  await engine.endExternalBackup(inst, JET_bit.BackupEndNormal);
  return { bytes, files };
}

/**
 * The same client loop without the API: readSync from the source files into one buffer, writeSync to
 * the copy. What the API costs on top of the bare read/write is the API's own overhead (verification,
 * per-call work), whatever the machine's noise does to both.
 */
function readWriteLoop(files: string[], readSize: number, to: string): void {
  fs.mkdirSync(to);
  const buffer = new Uint8Array(readSize);
  for (const file of files) {
    const src = fs.openSync(file, 'r');
    const fd = fs.openSync(path.join(to, path.basename(file)), 'w');
    for (let n, position = 0; (n = fs.readSync(src, buffer, 0, readSize, position)) > 0; position += n)
      fs.writeSync(fd, buffer, 0, n, position);
    fs.closeSync(fd);
    fs.closeSync(src);
  }
}

/** `cp` as it is (coreutils 9 copies inside the kernel with copy_file_range), or forced through user memory. */
function cp(files: string[], to: string, args: string[] = []): void {
  fs.mkdirSync(to);
  execFileSync('cp', [...args, ...files, to]);
}

const time = async <T>(f: () => T | Promise<T>): Promise<[T, number]> => {
  const t0 = process.hrtime.bigint();
  const r = await f();
  return [r, Number(process.hrtime.bigint() - t0) / 1e9];
};

const engine = await createEmbeddedEngine({ directory: path.join(root, 'engine') });
const inst = await engine.createInstance('bench', { logFileSize: 8 * 1024 * 1024 });
await engine.init(inst);
const db = await engine.createDatabase(inst, 'bench.edb');
const value = new Uint8Array(1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
const [, writeSecs] = await time(async () => {
  const total = Math.ceil((sizeGiB * GiB) / value.length);
  for (let i = 0; i < total; i += 8)
    await Promise.all(Array.from({ length: Math.min(8, total - i) }, (_, j) => db.put(`key-${i + j}`, value)));
});
// One backup first, so every page is on disk and the page cache is warm for both copies.
await backupThroughApi(engine, inst, 1024 * 1024, path.join(root, 'warmup'));
fs.rmSync(path.join(root, 'warmup'), { recursive: true });

console.log(
  `ese-backup bench:engine — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${mib(os.totalmem())} MiB`,
);
console.log(`database ${mib(fs.statSync(db.path).size)} MiB written in ${writeSecs.toFixed(1)} s`);
console.log(
  `page verification: ${wasmPageKernel() ? 'WebAssembly SIMD kernel, in place in a buffer from allocateBackupBuffer' : 'JavaScript kernel (no WebAssembly SIMD here)'}`,
);
// Two baselines: plain `cp` (coreutils 9: copy_file_range, the bytes never reach user memory) and
// `cp --reflink=never` (read/write through a user buffer, which any streaming backup API must do).
const baselines = [
  { name: 'cp', args: [] as string[] },
  { name: 'cp --reflink=never', args: ['--reflink=never'] },
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const pad = (text: string, n: number) => text.padEnd(n);
const bestRatio = new Map<string, { median: number; best: number }>();
// The files the baselines copy: the very files the API streamed last (the database and the same logs).
let lastFiles = (await backupThroughApi(engine, inst, 1024 * 1024, path.join(root, 'files'))).files;
fs.rmSync(path.join(root, 'files'), { recursive: true });
const sourceBytes = () => lastFiles.reduce((n, f) => n + fs.statSync(f).size, 0);

interface Leg {
  name: string;
  /** Copies into `to`; resolves with bytes per second. */
  run(readSize: number, to: string): Promise<number>;
}
const api = (name: string, wasm: boolean, plainBuffer = false): Leg => ({
  name,
  async run(readSize, to) {
    useWasmPageKernel(wasm);
    try {
      const [{ bytes, files }, s] = await time(() => backupThroughApi(engine, inst, readSize, to, plainBuffer));
      lastFiles = files;
      return bytes / s;
    } finally {
      useWasmPageKernel(true);
    }
  },
});
const legs: Leg[] = [
  api('API', true),
  // The same API with a plain Uint8Array, and with the JavaScript page kernel, side by side: what
  // verifying in place and the WebAssembly kernel buy.
  ...(wasmPageKernel() ? [api('API, plain Uint8Array buffer', true, true), api('API, JavaScript page kernel', false)] : []),
  {
    name: 'same loop without the API',
    run: async (readSize, to) => sourceBytes() / (await time(() => readWriteLoop(lastFiles, readSize, to)))[1],
  },
  ...baselines.map((b): Leg => ({ name: b.name, run: async (_, to) => sourceBytes() / (await time(() => cp(lastFiles, to, b.args)))[1] })),
];
console.log(`${rounds} rounds per read size; each round runs every leg once, in an order rotated from round to round`);
for (const readSize of [64 * 1024, 256 * 1024, 1024 * 1024]) {
  const samples = legs.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < legs.length; k++) {
      const i = (k + round) % legs.length;
      const to = path.join(root, `leg-${i}`);
      samples[i]!.push(await legs[i]!.run(readSize, to));
      fs.rmSync(to, { recursive: true });
    }
  }
  const figures = samples.map((xs) => ({ median: median(xs), best: Math.max(...xs) }));
  const a = figures[0]!;
  console.log(`reads of ${readSize / 1024} KiB — MiB/s, median | best of ${rounds}:`);
  legs.forEach((leg, i) => {
    const f = figures[i]!;
    const ratio =
      i === 0 || leg.name.startsWith('API') ? '' : `   API ratio ${(a.median / f.median).toFixed(3)} | ${(a.best / f.best).toFixed(3)}`;
    if (ratio && !leg.name.startsWith('same')) {
      const r = bestRatio.get(leg.name) ?? { median: 0, best: 0 };
      bestRatio.set(leg.name, { median: Math.max(r.median, a.median / f.median), best: Math.max(r.best, a.best / f.best) });
    }
    console.log(`  ${pad(leg.name, 30)} ${mib(f.median).padStart(5)} | ${mib(f.best).padStart(5)}${ratio}`);
  });
}
for (const [name, r] of bestRatio) console.log(`best ratio vs ${name}: ${r.median.toFixed(3)} (medians), ${r.best.toFixed(3)} (bests)`);
console.log('target: ratio >= 0.9 (project goal 0.95)');
await engine.close();
fs.rmSync(root, { recursive: true, force: true });
