/**
 * tsx bench/reread-copy-cost.ts — what the `verify: true` re-read's copies cost, in CPU ms per MiB,
 * to size the "re-read straight into the kernel's memory" step of docs/benchmarks.md before building
 * it. On one file in the page cache (as the re-read finds the file it re-reads behind its writer),
 * read in 2 MiB chunks as `WrittenFileRecheck` does:
 *  - today: pread into a JS buffer, then a copy into 1 MiB of WebAssembly memory (the hashing thread's
 *    page kernel), twice per chunk;
 *  - proposed: pread straight into the WebAssembly memory (1 MiB at a time);
 *  - for scale: SHA-256 of the same bytes (one of the pipeline's two streams).
 * CPU time is this process's (user + system), best of 5 passes. Env: BENCH_MIB (file size, default 256),
 * BENCH_DIR (default os.tmpdir()).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MIB = 1024 * 1024;
const mib = Number(process.env.BENCH_MIB ?? 256);
const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'reread-copy-cost-'));
const file = path.join(dir, 'data.edb');

function cpuMsPerMiB(pass: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = process.cpuUsage();
    pass();
    const t = process.cpuUsage(t0);
    best = Math.min(best, (t.user + t.system) / 1000 / mib);
  }
  return best;
}

try {
  const block = new Uint8Array(MIB);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  const out = fs.openSync(file, 'w');
  for (let i = 0; i < mib; i++) fs.writeSync(out, block);
  fs.closeSync(out);
  const fd = fs.openSync(file, 'r');
  const chunk = new Uint8Array(new SharedArrayBuffer(2 * MIB));
  // As the hashing thread's kernel memory (lib "dom", which types the WebAssembly global, is not in the tsconfig).
  const wasm = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } })
    .WebAssembly;
  if (!wasm) throw new Error('no WebAssembly in this Node');
  const kernel = new Uint8Array(new wasm.Memory({ initial: 16, maximum: 16 }).buffer);
  const readAll = (each: (at: number) => void, size: number) => {
    for (let at = 0; at < mib * MIB; at += size) each(at);
  };
  // Once to be sure every page is in the page cache.
  readAll((at) => fs.readSync(fd, chunk, 0, chunk.length, at), chunk.length);
  const today = cpuMsPerMiB(() =>
    readAll((at) => {
      const n = fs.readSync(fd, chunk, 0, chunk.length, at);
      for (let k = 0; k < n; k += kernel.length) kernel.set(chunk.subarray(k, Math.min(n, k + kernel.length)));
    }, chunk.length),
  );
  const readOnly = cpuMsPerMiB(() => readAll((at) => fs.readSync(fd, chunk, 0, chunk.length, at), chunk.length));
  const proposed = cpuMsPerMiB(() => readAll((at) => fs.readSync(fd, kernel, 0, kernel.length, at), kernel.length));
  const sha = cpuMsPerMiB(() => {
    const h = createHash('sha256');
    readAll((at) => h.update(chunk.subarray(0, fs.readSync(fd, chunk, 0, chunk.length, at))), chunk.length);
    h.digest();
  });
  fs.closeSync(fd);
  console.log(`file: ${mib} MiB in the page cache (${file})`);
  console.log(`today   (pread into a buffer + copy into kernel memory): ${today.toFixed(3)} CPU ms/MiB`);
  console.log(`  of which the pread alone:                             ${readOnly.toFixed(3)} CPU ms/MiB`);
  console.log(`proposed (pread straight into kernel memory):           ${proposed.toFixed(3)} CPU ms/MiB`);
  console.log(`saving: ${(today - proposed).toFixed(3)} CPU ms/MiB`);
  console.log(`for scale, pread + SHA-256:                             ${sha.toFixed(3)} CPU ms/MiB`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
