// Scale: 1,024 instance actors in one process: heap per actor, and the time for stopAll to reach every
// session's backend JetStopBackupInstance. Run: npx tsx bench/coordinator-scale.ts
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createCoordinator } from '../src/coordinator/index.js';
import { createEmbeddedEngine } from '../src/engine/index.js';
import { JET_bit, type JetBackupApi, type JetInstance } from '../src/jet/index.js';
import { benchReport } from './bench-report.js';

const N = 1024;
const ROUNDS = 20;
v8.setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
benchReport.header(`coordinator scale: ${N} instance actors`);
const dir = await mkdtemp(path.join(os.tmpdir(), 'ese-bench-scale-'));
const engine = await createEmbeddedEngine({ directory: dir });
const insts: JetInstance[] = [];
for (let i = 0; i < N; i++) {
  const inst = await engine.createInstance(`i${i}`, { logFileSize: 64 * 1024 });
  await engine.init(inst);
  insts.push(inst);
}
let reached = 0;
const api: JetBackupApi = {
  ...engine,
  stopBackup: (i) => {
    reached++;
    engine.stopBackup(i);
  },
};
const coordinator = createCoordinator({ api });

/** CPU milliseconds of this process (user + system): on a shared machine, the part of a wall time that was ours. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const before = heap();
const t0 = process.hrtime.bigint();
const c0 = cpuMs();
const sessions = insts.map((inst) => coordinator.session(inst));
const createMs = Number(process.hrtime.bigint() - t0) / 1e6;
const createCpu = cpuMs() - c0;
const perActor = (heap() - before) / N;
console.log(
  `${N} actors created in ${createMs.toFixed(1)} ms (CPU ${createCpu.toFixed(1)} ms; the first actors pay for compiling xstate); heap ${(perActor / 1024).toFixed(1)} KiB per actor (chart, queue, guarded session)`,
);

const stopAll: number[] = [];
const direct: number[] = [];
const stopAllCpu: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  await Promise.all(insts.map((inst, i) => sessions[i]!.beginExternalBackup(inst, 0)));
  reached = 0;
  const s0 = process.hrtime.bigint();
  const sc = cpuMs();
  coordinator.stopAll('bench');
  stopAll.push(Number(process.hrtime.bigint() - s0));
  stopAllCpu.push(cpuMs() - sc);
  if (reached !== N) throw new Error(`stopAll reached ${reached} of ${N} sessions`);
  await Promise.all(insts.map((inst, i) => sessions[i]!.endExternalBackup(inst, JET_bit.BackupEndAbort)));
  // Baseline: the engine's own stopBackup on every instance, no session needed for the cost.
  const d0 = process.hrtime.bigint();
  for (const inst of insts) engine.stopBackup(inst);
  direct.push(Number(process.hrtime.bigint() - d0));
}
const ms = (ns: number) => ns / 1e6;
const [cold, ...warm] = stopAll;
console.log(
  `stopAll over ${N} running sessions: first (cold) ${ms(cold!).toFixed(2)} ms; then ${ROUNDS - 1} rounds p50 ${ms(benchReport.percentile(warm, 50)).toFixed(2)} ms, max ${ms(Math.max(...warm)).toFixed(2)} ms; every backend reached once`,
);
console.log(
  `direct engine.stopBackup x${N} (baseline): p50 ${ms(benchReport.percentile(direct, 50)).toFixed(3)} ms; ratio ${(benchReport.percentile(stopAll, 50) / benchReport.percentile(direct, 50)).toFixed(0)}x`,
);
const [coldCpu, ...warmCpu] = stopAllCpu;
console.log(
  `stopAll CPU time: first ${coldCpu!.toFixed(2)} ms; then p50 ${benchReport.percentile(warmCpu, 50).toFixed(2)} ms, max ${Math.max(...warmCpu).toFixed(2)} ms`,
);
benchReport.target(`stopAll over ${N} (warm, max)`, ms(Math.max(...warm)), 50, 'ms');
benchReport.target(`stopAll over ${N} (cold, first call)`, ms(cold!), 50, 'ms');
benchReport.target(`${N} actors created`, createMs, 100, 'ms');
coordinator.dispose();
await engine.close();
await rm(dir, { recursive: true, force: true });
