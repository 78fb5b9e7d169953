/**
 * npm run bench:ffi — what the koffi binding costs, measured on the esent shim (test/native):
 * 1. per-call overhead of a koffi sync and an async (.async, worker thread) call into the native library
 *    (`shim_nop`: C only), and of a whole esent call through the shim's trampoline (C → JS callback →
 *    engine → shim_complete), sync (JetStopBackupInstance) and async (JetTruncateLogInstance, answering -520);
 * 2. full-backup throughput (read only, nothing written) through the koffi backend vs the embedded
 *    engine's API directly, in the same run, as a ratio.
 * 3. several backups at once through one koffi backend (issue 12 "Threads"): each one's throughput, the
 *    slowest / fastest ratio (1.00 = no backup starves another), and a control call (Begin + End(Abort) on
 *    another instance) while they read vs idle — reads queue in the binding's AsyncGate, control calls don't.
 * 4. the koffi read path against reads at C speed, over the pread build of the shim (bench/ffi-read-path.ts);
 *    the output ends with `ratio koffi-backend/native-reads: 0.NN`.
 * Env: BENCH_MIB (database size, default 64), BENCH_READ_KIB (read size, default 1024),
 *   BENCH_CONCURRENT (backups at once, default 4), BENCH_READ_PATH_MIB (the read path's file, default 256),
 *   BENCH_READ_PATH_ROUNDS (default 9).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import koffi from 'koffi';
import { createEmbeddedEngine } from '../src/engine/index.js';
import { createEsentBackend } from '../src/esent/index.js';
import { JET_bit, type JetBackupApi, type JetInstance } from '../src/jet/index.js';
import { buildEsentShim } from '../test/native/build-esent-shim.js';
import { startEsentShimHost } from '../test/native/esent-shim-host.js';
import { DEFAULT_READ_SIZE } from '../src/backup/run-backup-options.js';
import { measureReadPath } from './ffi-read-path.js';
import { fillBenchDatabase } from './fill-bench-database.js';

// Over the shim every call in flight parks a libuv pool thread while the engine behind it, on the main
// thread, needs pool threads for its own file I/O: with libuv's default 4, a few backups at once would
// deadlock the shim (esent.dll does its I/O itself and has no such cycle). So the bench runs with 16.
if (!process.env.UV_THREADPOOL_SIZE) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, UV_THREADPOOL_SIZE: '16' },
  });
  process.exit(r.status ?? 1);
}
const sizeMiB = Number(process.env.BENCH_MIB ?? 64);
const readSize = Number(process.env.BENCH_READ_KIB ?? 1024) * 1024;
const library = buildEsentShim();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ese-bench-ffi-'));
const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function perCall(label: string, n: number, once: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(1000, n / 10); i++) await once(); // warm up
  const t0 = now();
  for (let i = 0; i < n; i++) await once();
  const us = ((now() - t0) / n) * 1e6;
  console.log(`  ${label.padEnd(58)} ${us.toFixed(2).padStart(8)} µs/call  (${n} calls)`);
  return us;
}

/** One full backup through `api`, bytes read into one buffer and dropped; resolves with the bytes. */
async function backup(api: JetBackupApi, inst: JetInstance): Promise<number> {
  const buffer = new Uint8Array(readSize);
  let bytes = 0;
  const copy = async (file: string) => {
    const { handle } = await api.openFile(inst, file);
    for (let n; (n = await api.readFile(inst, handle, buffer)) > 0;) bytes += n;
    await api.closeFile(inst, handle);
  };
  await api.beginExternalBackup(inst);
  for (const f of await api.getAttachInfo(inst)) await copy(f);
  for (const f of await api.getLogInfo(inst)) await copy(f);
  await api.endExternalBackup(inst, JET_bit.BackupEndNormal);
  return bytes;
}

const engine = await createEmbeddedEngine({ directory: root });
const host = startEsentShimHost(engine, { library });
const esent = createEsentBackend({ library });
try {
  console.log(
    `ese-backup bench:ffi — node ${process.version}, koffi ${koffi.version}, ${os.type()} ${os.release()} ${process.arch}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 20)} MiB`,
  );
  console.log('per-call overhead:');
  const lib = koffi.load(library);
  const nop = lib.func('uint32_t shim_nop(uint32_t x)');
  const nopAsync = (x: number) =>
    new Promise<number>((resolve, reject) => nop.async(x, (e: unknown, r: number) => (e ? reject(e) : resolve(r))));
  const sync = await perCall('koffi sync call (shim_nop)', 200_000, () => nop(1));
  const async = await perCall('koffi async call (shim_nop.async, worker thread)', 5_000, () => nopAsync(1));
  const inst = await engine.createInstance('bench', { logFileSize: 8 * 1024 * 1024 });
  await engine.init(inst);
  await perCall('esent sync through the shim (JetStopBackupInstance)', 50_000, () => esent.stopBackup(inst));
  await perCall('esent async through the shim (JetTruncateLogInstance → -520)', 5_000, () => esent.truncateLog(inst).catch(() => 0));
  console.log(`  async / sync: ${(async / sync).toFixed(0)}×`);

  const db = await engine.createDatabase(inst, 'bench.edb');
  await fillBenchDatabase(db, sizeMiB);
  await backup(engine, inst); // every page on disk, page cache warm
  console.log(`full backup, read only (${sizeMiB} MiB database, ${readSize / 1024} KiB reads, median of 3 alternating runs):`);
  const times: Record<'embedded' | 'esent', number[]> = { embedded: [], esent: [] };
  let bytes = 0;
  for (let trial = 0; trial < 3; trial++) {
    for (const [name, api] of [
      ['embedded', engine],
      ['esent', esent],
    ] as const) {
      const t0 = now();
      bytes = await backup(api, inst);
      times[name].push(now() - t0);
    }
  }
  const mibs = (s: number) => bytes / 2 ** 20 / s;
  const [e, k] = [median(times.embedded), median(times.esent)];
  console.log(
    `  embedded engine API directly  ${mibs(e).toFixed(0).padStart(6)} MiB/s  (${(bytes / 2 ** 20).toFixed(0)} MiB in ${e.toFixed(3)} s)`,
  );
  console.log(`  koffi backend over the shim   ${mibs(k).toFixed(0).padStart(6)} MiB/s  (${k.toFixed(3)} s)`);
  console.log(`  koffi backend / embedded: ${(mibs(k) / mibs(e)).toFixed(2)} of the throughput`);

  const concurrent = Number(process.env.BENCH_CONCURRENT ?? 4);
  const eachMiB = Math.max(4, Math.round(sizeMiB / concurrent));
  const insts: JetInstance[] = [];
  for (let n = 0; n < concurrent; n++) {
    const i = await engine.createInstance(`bench-c${n}`, { logFileSize: 8 * 1024 * 1024 });
    await engine.init(i);
    const d = await engine.createDatabase(i, `c${n}.edb`);
    await fillBenchDatabase(d, eachMiB);
    await backup(engine, i);
    insts.push(i);
  }
  const idle = await engine.createInstance('bench-control', { logFileSize: 1024 * 1024 });
  await engine.init(idle);
  await engine.createDatabase(idle, 'control.edb');
  const controlCall = async () => {
    const t0 = now();
    await esent.beginExternalBackup(idle);
    await esent.endExternalBackup(idle, JET_bit.BackupEndAbort);
    return (now() - t0) * 1e3;
  };
  const idleMs: number[] = [];
  for (let n = 0; n < 5; n++) idleMs.push(await controlCall());
  console.log(
    `${concurrent} backups at once through one koffi backend (${eachMiB} MiB each, bulk lane ${esent.library.gate.maxBulk} reads at once, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE}):`,
  );
  const busyMs: number[] = [];
  let running = true;
  const probing = (async () => {
    while (running) busyMs.push(await controlCall());
  })();
  const t0 = now();
  const each = await Promise.all(
    insts.map(async (i) => {
      const start = now();
      const b = await backup(esent, i);
      return { bytes: b, seconds: now() - start };
    }),
  );
  const wall = now() - t0;
  running = false;
  await probing;
  const rates = each.map((r) => r.bytes / 2 ** 20 / r.seconds);
  each.forEach((r, n) =>
    console.log(
      `  backup ${n + 1}  ${rates[n]!.toFixed(0).padStart(6)} MiB/s  (${(r.bytes / 2 ** 20).toFixed(0)} MiB in ${r.seconds.toFixed(3)} s)`,
    ),
  );
  console.log(
    `  together ${(each.reduce((a, r) => a + r.bytes, 0) / 2 ** 20 / wall).toFixed(0)} MiB/s; slowest / fastest backup: ${(Math.min(...rates) / Math.max(...rates)).toFixed(2)}; peak reads inside the library: ${esent.library.gate.stats.bulkPeak}`,
  );
  console.log(
    `  control call (Begin + End(Abort), another instance): median ${median(busyMs).toFixed(2)} ms during the backups (${busyMs.length} calls) vs ${median(idleMs).toFixed(2)} ms idle`,
  );
  // BENCH_READ_KIB, then the runner's default read when it differs: the ratio line is the runner's size.
  await measureReadPath(engine, [...new Set([readSize, DEFAULT_READ_SIZE])]);
} finally {
  host.close();
  await engine.close();
  fs.rmSync(root, { recursive: true, force: true });
}
