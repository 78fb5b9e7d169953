/**
 * npm run bench:engine — full streaming backup through the embedded engine's API into files, against
 * `cp` of the same files, measured side by side in one run (warm page cache for both).
 * Env: BENCH_GIB (database size, default 1), BENCH_DIR (default: os.tmpdir()), BENCH_ROUNDS (default 5).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedEngine, JET_bit, type EmbeddedEngine, type JetInstance } from '../src/index.js';
import { wasmPageKernel } from '../src/engine/format/page-checksum-wasm.js';

const GiB = 1024 ** 3;
const sizeGiB = Number(process.env.BENCH_GIB ?? 1);
const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'ese-bench-'));
const mib = (b: number) => (b / 1024 / 1024).toFixed(0);

/** One full backup through the API; resolves with the bytes streamed and the files they came from. */
async function backupThroughApi(engine: EmbeddedEngine, inst: JetInstance, readSize: number, to: string): Promise<{ bytes: number; files: string[] }> {
  fs.mkdirSync(to);
  // One buffer, synchronous writes: measured side by side, an async write pipeline gains nothing on
  // page-cache-resident files and costs a thread-pool round trip per chunk.
  const buffer = new Uint8Array(readSize);
  let bytes = 0;
  const files: string[] = [];
  const copy = async (file: string) => {
    files.push(file);
    const { handle } = await engine.openFile(inst, file);
    const fd = fs.openSync(path.join(to, path.basename(file)), 'w');
    for (let n, position = 0; (n = await engine.readFile(inst, handle, buffer)) > 0; position += n, bytes += n) fs.writeSync(fd, buffer, 0, n, position);
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
    for (let n, position = 0; (n = fs.readSync(src, buffer, 0, readSize, position)) > 0; position += n) fs.writeSync(fd, buffer, 0, n, position);
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
  for (let i = 0; i < total; i += 8) await Promise.all(Array.from({ length: Math.min(8, total - i) }, (_, j) => db.put(`key-${i + j}`, value)));
});
// One backup first, so every page is on disk and the page cache is warm for both copies.
await backupThroughApi(engine, inst, 1024 * 1024, path.join(root, 'warmup'));
fs.rmSync(path.join(root, 'warmup'), { recursive: true });

console.log(`ese-backup bench:engine — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${mib(os.totalmem())} MiB`);
console.log(`database ${mib(fs.statSync(db.path).size)} MiB written in ${writeSecs.toFixed(1)} s`);
console.log(`page verification: ${wasmPageKernel() ? 'WebAssembly SIMD kernel' : 'JavaScript kernel (no WebAssembly SIMD here)'}`);
// Two baselines: plain `cp` (coreutils 9: copy_file_range, the bytes never reach user memory) and
// `cp --reflink=never` (read/write through a user buffer, which any streaming backup API must do).
const baselines = [
  { name: 'cp', args: [] as string[] },
  { name: 'cp --reflink=never', args: ['--reflink=never'] },
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const best = new Map<string, number>();
for (const readSize of [64 * 1024, 256 * 1024, 1024 * 1024]) {
  const api: number[] = [];
  const loop: number[] = [];
  const base = baselines.map(() => [] as number[]);
  // Interleaved rounds: API, the bare loop, then each cp, so that drift in the machine's load hits all alike.
  for (let round = 0; round < rounds; round++) {
    const dir = path.join(root, `api-${readSize}-${round}`);
    const [{ bytes, files }, s] = await time(() => backupThroughApi(engine, inst, readSize, dir));
    api.push(bytes / s);
    fs.rmSync(dir, { recursive: true });
    // The baselines copy the very files the API just streamed (the database file and the same logs).
    const sourceBytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    const loopDir = path.join(root, `loop-${readSize}-${round}`);
    const [, l] = await time(() => readWriteLoop(files, readSize, loopDir));
    loop.push(sourceBytes / l);
    fs.rmSync(loopDir, { recursive: true });
    for (const [i, b] of baselines.entries()) {
      const to = path.join(root, `cp-${i}-${round}`);
      const [, c] = await time(() => cp(files, to, b.args));
      base[i]?.push(sourceBytes / c);
      fs.rmSync(to, { recursive: true });
    }
  }
  const a = median(api);
  const parts = baselines.map((b, i) => {
    const c = median(base[i] as number[]);
    best.set(b.name, Math.max(best.get(b.name) ?? 0, a / c));
    return `${b.name} ${mib(c)} MiB/s (ratio ${(a / c).toFixed(3)})`;
  });
  const l = median(loop);
  console.log(
    `reads of ${String(readSize / 1024).padStart(4)} KiB: API ${mib(a)} MiB/s; ${parts.join('; ')}; same loop without the API ${mib(l)} MiB/s (ratio ${(a / l).toFixed(3)}) — medians of ${rounds}`,
  );
}
for (const [name, r] of best) console.log(`best ratio vs ${name}: ${r.toFixed(3)}`);
console.log('target: ratio >= 0.9 (project goal 0.95)');
await engine.close();
fs.rmSync(root, { recursive: true, force: true });
