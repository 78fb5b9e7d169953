/**
 * npm run bench — the backup runner end to end, in one run on the same data, rounds interleaved so
 * that noise hits runner and baselines alike (the order inside a round alternates):
 *  1. full backup through `runBackup` (engine -> pages verified as streamed -> BLAKE3, the default
 *     digest -> fsync -> manifest -> atomic rename: a committed set) in bytes/s, and with `verify: true`
 *     (every file re-read and verified from the file system, as `--truncate-logs` always does), with
 *     the CPU time the process spent per run; for comparison, `verify: true` with `digest: 'sha256'`
 *     in the same rounds (the digest every set had before BLAKE3);
 *  2. baselines on the very files the set copied, in the same round: `cp -r` + `sync` of the copied
 *     files and directory (durable-copy: the issue's baseline, durable as the runner's set is), and
 *     for information `cp -r` and `cp -r --reflink=never` (no fsync; coreutils 9 `cp` copies inside
 *     the kernel with copy_file_range, which no streaming API that hashes every byte can do);
 *  3. the ceiling a single digest stream sets on this machine, BLAKE3 and SHA-256 (a file's bytes go
 *     through one stream);
 *  4. stop latency while the runner reads with the default read size: p50/p99 from the stop
 *     (coordinator.stop) to the session ended (the chart leaves its session after End2(Abort)), and to
 *     the run resolved, next to the measured duration of one JetReadFileInstance of that size (the
 *     median of every full-size read of the stop runs, timed through the engine as the runner calls it).
 * The output ends with the issue's three lines: ratio runner/durable-copy, ratio
 * runner+verify/durable-copy (medians of the per-round ratios), stop->ended p99 (one read).
 * Env: BENCH_MIB (database size, default 256), BENCH_ROUNDS (default 5), BENCH_STOPS (default 200),
 * BENCH_DIR (default os.tmpdir()).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { filter, firstValueFrom } from 'rxjs';
import { runBackup } from '../src/backup/index.js';
import { DEFAULT_READ_SIZE } from '../src/backup/run-backup-options.js';
import { createCoordinator } from '../src/coordinator/index.js';
import { createEmbeddedEngine } from '../src/engine/index.js';
import type { JetBackupApi } from '../src/jet/index.js';
import { fillBenchDatabase } from './fill-bench-database.js';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env.BENCH_MIB ?? 256);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const stops = Number(process.env.BENCH_STOPS ?? 200);
const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'ese-bench-runner-'));
const mibs = (bytesPerSecond: number) => `${(bytesPerSecond / MiB).toFixed(0)} MiB/s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const seconds = async <T>(f: () => T | Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await f();
  return [r, (performance.now() - t0) / 1000];
};

console.log(
  `ese-backup bench: the backup runner — node ${process.version}, ${os.platform()} ${os.release()}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / MiB).toFixed(0)} MiB RAM`,
);
console.log(`${execFileSync('cp', ['--version']).toString().split('\n')[0]}; data in ${root}`);

const engine = await createEmbeddedEngine({ directory: path.join(root, 'engine') });
const inst = await engine.createInstance('bench', { logFileSize: 8 * MiB });
await engine.init(inst);
const db = await engine.createDatabase(inst, 'bench.edb');
const [, fillSecs] = await seconds(() => fillBenchDatabase(db, sizeMiB));
/** Durations (ms) of the full-size JetReadFileInstance calls, when `timing` is on: the engine as the runner sees it. */
const readMs: number[] = [];
let timing = false;
const timed: JetBackupApi = Object.create(engine, {
  readFile: {
    value: async (...args: Parameters<JetBackupApi['readFile']>) => {
      const t0 = performance.now();
      const n = await engine.readFile(...args);
      if (timing && n === args[2].length) readMs.push(performance.now() - t0);
      return n;
    },
  },
}) as JetBackupApi;
const coordinator = createCoordinator({ api: timed });
coordinator.session(inst, { facts: { pageSize: 4096, recovery: true, circularLogging: false } });
let setNo = 0;
const backup = async (verify: boolean, digest?: 'sha256') => {
  const to = path.join(root, 'sets', `set-${++setNo}`);
  const cpu0 = process.cpuUsage();
  const [result, s] = await seconds(() =>
    runBackup({ coordinator, instance: inst, to, mode: 'full', verify, instanceName: 'bench', ...(digest ? { digest } : {}) }),
  );
  const cpu = process.cpuUsage(cpu0);
  if (result.outcome !== 'completed') throw new Error(`backup ${result.outcome}: ${result.error?.message}`);
  const files = result.set!.manifest.files;
  fs.rmSync(to, { recursive: true });
  return {
    bytes: files.reduce((n, f) => n + f.size, 0),
    sources: files.map((f) => f.source),
    s,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
};
// One backup first: every page reaches the file (checkpoint) and the page cache is warm for all.
const warm = await backup(false);
console.log(
  `database ${(fs.statSync(db.path).size / MiB).toFixed(0)} MiB written in ${fillSecs.toFixed(1)} s; a set is ${(warm.bytes / MiB).toFixed(0)} MiB in ${warm.sources.length} files`,
);

/** A directory of hard links to the files the set copied: what `cp -r` copies. */
const linkSources = (sources: string[]) => {
  const dir = fs.mkdtempSync(path.join(root, 'src-'));
  for (const f of sources) fs.linkSync(f, path.join(dir, path.basename(f)));
  return dir;
};
const cpRun = (src: string, args: string[], fsync: boolean) => {
  const to = path.join(root, `cp-${++setNo}`);
  execFileSync('cp', ['-r', ...args, src, to]);
  // `sync FILE...` fsyncs each file (and the directory, given as one): what the runner's set gets.
  if (fsync) execFileSync('sync', [...fs.readdirSync(to).map((n) => path.join(to, n)), to]);
  return to;
};
const baselines = [
  { name: 'cp -r + sync', args: [] as string[], fsync: true, note: 'durable-copy: files and directory fsynced, as the set is' },
  { name: 'cp -r', args: [] as string[], fsync: false, note: 'copy_file_range, no fsync' },
  { name: 'cp -r --reflink=never', args: ['--reflink=never'], fsync: false, note: 'no fsync' },
];
const results = {
  runner: [] as number[],
  runnerVerify: [] as number[],
  runnerCpu: [] as number[],
  runnerVerifyCpu: [] as number[],
  runnerVerifySha: [] as number[],
  runnerVerifyShaCpu: [] as number[],
  base: baselines.map(() => [] as number[]),
  /** Per round: runner / durable-copy and runner+verify / durable-copy of the same round. */
  ratio: [] as number[],
  ratioVerify: [] as number[],
  ratioVerifySha: [] as number[],
};
for (let round = 0; round < rounds; round++) {
  // The same files the runner streams (the database and the logs of its copy range).
  const src = linkSources(warm.sources);
  const srcBytes = warm.sources.reduce((n, f) => n + fs.statSync(f).size, 0);
  const runners = async () => {
    const b = await backup(false);
    results.runner.push(b.bytes / b.s);
    results.runnerCpu.push(b.cpuSeconds / b.s);
    const v = await backup(true);
    results.runnerVerify.push(v.bytes / v.s);
    results.runnerVerifyCpu.push(v.cpuSeconds / v.s);
    const sha = await backup(true, 'sha256');
    results.runnerVerifySha.push(sha.bytes / sha.s);
    results.runnerVerifyShaCpu.push(sha.cpuSeconds / sha.s);
    return [b.bytes / b.s, v.bytes / v.s, sha.bytes / sha.s] as const;
  };
  const copies = async () => {
    const speeds: number[] = [];
    for (const [i, base] of baselines.entries()) {
      const [to, s] = await seconds(() => cpRun(src, base.args, base.fsync));
      results.base[i]!.push(srcBytes / s);
      speeds.push(srcBytes / s);
      fs.rmSync(to, { recursive: true });
    }
    return speeds;
  };
  // Alternate which goes first, so neither always follows the other's writeback.
  let r: readonly [number, number, number];
  let c: number[];
  if (round % 2 === 0) {
    r = await runners();
    c = await copies();
  } else {
    c = await copies();
    r = await runners();
  }
  results.ratio.push(r[0] / c[0]!);
  results.ratioVerify.push(r[1] / c[0]!);
  results.ratioVerifySha.push(r[2] / c[0]!);
  fs.rmSync(src, { recursive: true });
}
/** One core's digest over 1 MiB chunks: a file's digest is one stream, so no runner can copy a file faster. */
const digestCeiling = (make: () => { update(b: Buffer): unknown; digest(): unknown }) => {
  const chunk = Buffer.from(new Uint8Array(MiB).map((_, i) => i * 31));
  const hash = make();
  const t0 = performance.now();
  for (let i = 0; i < 512; i++) hash.update(chunk);
  hash.digest();
  return (512 * MiB) / ((performance.now() - t0) / 1000);
};
const sha = median(Array.from({ length: 3 }, () => digestCeiling(() => createHash('sha256'))));
const b3 = median(Array.from({ length: 3 }, () => digestCeiling(() => new Blake3Hasher())));
const runner = median(results.runner);
const runnerVerify = median(results.runnerVerify);
const runnerVerifySha = median(results.runnerVerifySha);
/** CPU milliseconds the process spent per MiB of set (both cores' time: `CPUs busy` over the speed). */
const cpuMsPerMiB = (cpus: number[], speed: number) => ((median(cpus) / (speed / MiB)) * 1000).toFixed(2);
const fmtRatio = (x: number) => x.toFixed(3).padStart(6);
console.log(
  `\nthroughput, medians of ${rounds} interleaved rounds (runner bytes: the streamed set; cp bytes: the source files; ${DEFAULT_READ_SIZE / MiB} MiB reads)`,
);
console.log(
  `  runBackup full -> committed set (pages verified as streamed, BLAKE3, fsync, rename): ${mibs(runner)} (${median(results.runnerCpu).toFixed(2)} CPUs busy, ${cpuMsPerMiB(results.runnerCpu, runner)} CPU ms/MiB)`,
);
console.log(
  `  runBackup full + verify: true (every file re-read and verified):                    ${mibs(runnerVerify)} (${median(results.runnerVerifyCpu).toFixed(2)} CPUs busy, ${cpuMsPerMiB(results.runnerVerifyCpu, runnerVerify)} CPU ms/MiB)`,
);
console.log(
  `  the same with digest: 'sha256' (the digest of sets before BLAKE3):                  ${mibs(runnerVerifySha)} (${median(results.runnerVerifyShaCpu).toFixed(2)} CPUs busy, ${cpuMsPerMiB(results.runnerVerifyShaCpu, runnerVerifySha)} CPU ms/MiB)`,
);
console.log(`  ${'baseline'.padEnd(22)} ${'median'.padStart(10)}   runner/baseline  runner+verify/baseline`);
for (const [i, base] of baselines.entries()) {
  const c = median(results.base[i]!);
  console.log(
    `  ${base.name.padEnd(22)} ${mibs(c).padStart(10)}   ${fmtRatio(runner / c)}           ${fmtRatio(runnerVerify / c)}            (${base.note})`,
  );
}
console.log(
  `  per-round ratios to durable-copy: runner ${results.ratio.map((x) => x.toFixed(2)).join(' ')}; runner+verify ${results.ratioVerify.map((x) => x.toFixed(2)).join(' ')}; runner+verify with SHA-256 ${results.ratioVerifySha.map((x) => x.toFixed(2)).join(' ')} (median ${median(results.ratioVerifySha).toFixed(2)})`,
);
console.log(
  `  ceiling: one core hashes BLAKE3 at ${mibs(b3)} here (SHA-256: ${mibs(sha)}); every byte of a file goes through one digest stream (and, verified, through a second one re-reading it)`,
);

// Stop latency while the runner is reading: stop at a random moment of the database phase.
const endedAfter: number[] = [];
const resolvedAfter: number[] = [];
let missed = 0;
timing = true;
for (let i = 0; endedAfter.length < stops; i++) {
  const to = path.join(root, 'stops', `s-${i}`);
  const run = runBackup({ coordinator, instance: inst, to, mode: 'full', instanceName: 'bench' });
  let phase = 'starting';
  run.progress$.subscribe((p) => (phase = p.phase));
  await firstValueFrom(run.progress$.pipe(filter((p) => p.phase === 'databases' && p.bytesDone > 0)));
  await sleep(Math.random() * 30);
  if (phase !== 'databases') {
    missed++;
    await run;
    fs.rmSync(to, { recursive: true, force: true });
    continue;
  }
  // The session ended: the chart's backup region left `session` (End2 answered).
  const ended = firstValueFrom(coordinator.state$(inst).pipe(filter((s) => !('session' in (s.value as { backup: object }).backup))));
  const t0 = performance.now();
  coordinator.stop(inst, 'bench');
  await ended;
  const t1 = performance.now();
  const result = await run;
  const t2 = performance.now();
  if (result.outcome !== 'stopped') throw new Error(`a stopped run resolved ${result.outcome}`);
  endedAfter.push(t1 - t0);
  resolvedAfter.push(t2 - t0);
}
timing = false;
const ms = (x: number) => `${x.toFixed(2)} ms`;
const oneRead = median(readMs);
console.log(
  `\nstop latency while reading (${stops} stops, ${DEFAULT_READ_SIZE / MiB} MiB reads, the default${missed ? `; ${missed} runs left the database phase before their stop and were not counted` : ''})`,
);
console.log(
  `  one JetReadFileInstance of ${DEFAULT_READ_SIZE / MiB} MiB (through the engine, as the runner calls it): p50 ${ms(oneRead)}, p99 ${ms(quantile(readMs, 0.99))} (${readMs.length} reads)`,
);
console.log(
  `  stop -> session ended (End2(Abort) answered): p50 ${ms(quantile(endedAfter, 0.5))}, p99 ${ms(quantile(endedAfter, 0.99))}, max ${ms(Math.max(...endedAfter))}`,
);
console.log(
  `  stop -> run resolved 'stopped' (set discarded): p50 ${ms(quantile(resolvedAfter, 0.5))}, p99 ${ms(quantile(resolvedAfter, 0.99))}, max ${ms(Math.max(...resolvedAfter))}`,
);
console.log(`ratio runner/durable-copy: ${median(results.ratio).toFixed(2)}`);
console.log(`ratio runner+verify/durable-copy: ${median(results.ratioVerify).toFixed(2)}`);
console.log(`stop->ended p99: ${quantile(endedAfter, 0.99).toFixed(1)} ms (one read: ${oneRead.toFixed(1)} ms)`);

coordinator.dispose();
await engine.close();
fs.rmSync(root, { recursive: true, force: true });
