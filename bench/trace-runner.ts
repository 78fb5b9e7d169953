/**
 * The backup runner's timeline: `npx tsx bench/trace-runner.ts` runs RUNS (4) full backups of a
 * BENCH_MIB (256) database and prints, per run, its speed, CPUs, event-loop utilisation, when the first
 * read started and the last ended, the reads' and writes' busy time, the background fdatasyncs' busy
 * time and the commit's fsyncs and rename: every `JetReadFileInstance` is timed through a wrapper of
 * the engine (its synchronous part, with the page faults it took, apart) and every file-system call
 * through the `BackupFs` seam. DUMP=1 prints every event (name, start ms, end ms). SE=N sets
 * `syncEvery` to N MiB; VERIFY=1 runs with `verify: true`. Used for the "Where the time goes" story in docs/benchmarks.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runBackup } from '../src/backup/index.js';
import { nodeBackupFs, type BackupFs } from '../src/backup/backup-fs.js';
import { createCoordinator } from '../src/coordinator/index.js';
import { createEmbeddedEngine } from '../src/engine/index.js';
import type { JetBackupApi } from '../src/jet/index.js';
import { fillBenchDatabase } from './fill-bench-database.js';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env.BENCH_MIB ?? 256);
const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'ese-trace-runner-'));
const engine = await createEmbeddedEngine({ directory: path.join(root, 'engine') });
const inst = await engine.createInstance('bench', { logFileSize: 8 * MiB });
await engine.init(inst);
const db = await engine.createDatabase(inst, 'bench.edb');
await fillBenchDatabase(db, sizeMiB);
type Ev = { k: string; a: number; b: number };
let evs: Ev[] = [];
let T0 = 0;
const rec = async <T>(k: string, f: () => Promise<T>) => {
  const a = performance.now() - T0;
  const r = await f();
  evs.push({ k, a, b: performance.now() - T0 });
  return r;
};
const timed: JetBackupApi = Object.create(engine, {
  readFile: {
    value: (...args: Parameters<JetBackupApi['readFile']>) =>
      rec('read', () => {
        const a = performance.now() - T0;
        const f0 = process.resourceUsage();
        const p = engine.readFile(...args);
        const f1 = process.resourceUsage();
        evs.push({
          k: `rsync minflt ${f1.minorPageFault - f0.minorPageFault} majflt ${f1.majorPageFault - f0.majorPageFault} vcsw ${f1.voluntaryContextSwitches - f0.voluntaryContextSwitches} ivcsw ${f1.involuntaryContextSwitches - f0.involuntaryContextSwitches}`,
          a,
          b: performance.now() - T0,
        });
        return p;
      }),
  },
}) as JetBackupApi;
const tfs: BackupFs = {
  ...nodeBackupFs,
  open: async (file, flags) => {
    const h = await rec('open', () => nodeBackupFs.open(file, flags));
    return {
      write: (b, o, l, p) => rec('write', () => h.write(b, o, l, p)),
      datasync: () => rec('datasync', () => h.datasync()),
      sync: () => rec('fsync', () => h.sync()),
      close: () => rec('close', () => h.close()),
    };
  },
  rename: (a, b) => rec('rename', () => nodeBackupFs.rename(a, b)),
};
const coordinator = createCoordinator({ api: timed });
coordinator.session(inst, { facts: { pageSize: 4096, recovery: true, circularLogging: false } });
const union = (xs: Ev[]) => {
  const s = [...xs].sort((x, y) => x.a - y.a);
  let tot = 0,
    end = -1;
  for (const e of s) {
    if (e.b <= end) continue;
    tot += e.b - Math.max(e.a, end);
    end = e.b;
  }
  return tot;
};
for (let i = 0; i < Number(process.env.RUNS ?? 4); i++) {
  const to = path.join(root, `set-${i}`);
  evs = [];
  T0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const r = await runBackup({
    coordinator,
    instance: inst,
    to,
    mode: 'full',
    instanceName: 'bench',
    verify: process.env.VERIFY === '1',
    fs: tfs,
    ...(process.env.SE ? { syncEvery: Number(process.env.SE) * MiB } : {}),
  });
  const T = performance.now() - T0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const bytes = r.set!.manifest.files.reduce((a, f) => a + f.size, 0);
  const by = (k: string) => evs.filter((e) => e.k === k);
  const reads = by('read');
  const firstRead = Math.min(...reads.map((e) => e.a)),
    lastRead = Math.max(...reads.map((e) => e.b));
  const writes = by('write'),
    ds = by('datasync');
  console.log(
    `run ${i}: ${T.toFixed(0)} ms ${(bytes / MiB / (T / 1000)).toFixed(0)} MiB/s cpu ${((cpu.user + cpu.system) / 1000 / T).toFixed(2)} ELU ${elu.utilization.toFixed(2)}; first read @${firstRead.toFixed(0)} last read end @${lastRead.toFixed(0)}; reads ${reads.length} sum ${reads.reduce((a, e) => a + e.b - e.a, 0).toFixed(0)} ms; writes ${writes.length} busy ${union(writes).toFixed(0)} ms last @${Math.max(...writes.map((e) => e.b)).toFixed(0)}; datasyncs ${ds.length} busy ${union(ds).toFixed(0)} ms (max ${Math.max(...ds.map((e) => e.b - e.a)).toFixed(0)}); fsyncs ${by(
      'fsync',
    )
      .map((e) => `${e.a.toFixed(0)}+${(e.b - e.a).toFixed(0)}`)
      .join(' ')}; rename @${by('rename')[0]?.a.toFixed(0)}`,
  );
  if (process.env.DUMP) for (const e of evs.sort((x, y) => x.a - y.a)) console.log(`  ${e.k} ${e.a.toFixed(1)} ${e.b.toFixed(1)}`);
  fs.rmSync(to, { recursive: true });
}
coordinator.dispose();
await engine.close();
fs.rmSync(root, { recursive: true, force: true });
