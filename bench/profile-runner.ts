/**
 * A profile of the backup runner: `node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/profile-runner.ts`
 * runs a few full backups (BENCH_VERIFY=1: with verify) of a BENCH_MIB database, for a CPU profile
 * of every thread (the main thread, the hashing and verifying threads).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBackup } from '../src/backup/index.js';
import { createCoordinator } from '../src/coordinator/index.js';
import { createEmbeddedEngine } from '../src/engine/index.js';
import { fillBenchDatabase } from './fill-bench-database.js';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env.BENCH_MIB ?? 256);
const runs = Number(process.env.BENCH_ROUNDS ?? 4);
const verify = process.env.BENCH_VERIFY === '1';
const sizes = (process.env.BENCH_READ ?? '1').split(',').map((m) => Number(m) * MiB);
const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'ese-profile-runner-'));
const engine = await createEmbeddedEngine({ directory: path.join(root, 'engine') });
const inst = await engine.createInstance('bench', { logFileSize: 8 * MiB });
await engine.init(inst);
const db = await engine.createDatabase(inst, 'bench.edb');
await fillBenchDatabase(db, sizeMiB);
const coordinator = createCoordinator({ api: engine });
coordinator.session(inst, { facts: { pageSize: 4096, recovery: true, circularLogging: false } });
for (let i = 0; i <= runs; i++) {
  const to = path.join(root, 'sets', `set-${i}`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const readSize = sizes[i % sizes.length]!;
  const r = await runBackup({ coordinator, instance: inst, to, mode: 'full', verify, instanceName: 'bench', readSize });
  const cpu = process.cpuUsage(cpu0);
  const s = (performance.now() - t0) / 1000;
  const bytes = r.set!.manifest.files.reduce((n, f) => n + f.size, 0);
  console.log(
    `${i === 0 ? 'warm-up' : `run ${i}`} (${readSize / MiB} MiB reads): ${r.outcome} ${(bytes / MiB / s).toFixed(0)} MiB/s, ${((cpu.user + cpu.system) / 1e6 / s).toFixed(2)} CPUs, ${((cpu.user + cpu.system) / 1e3 / (bytes / MiB)).toFixed(2)} CPU ms/MiB`,
  );
  fs.rmSync(to, { recursive: true });
}
coordinator.dispose();
await engine.close();
fs.rmSync(root, { recursive: true, force: true });
