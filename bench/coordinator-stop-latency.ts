// Stop latency: a Subject emission to the backend's JetStopBackupInstance (>= 10,000 sessions), and to
// the session ended through the abort path while a read loop runs (a timer stops it mid-loop). Run:
// npx tsx bench/coordinator-stop-latency.ts
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Subject } from 'rxjs';
import { createCoordinator } from '../src/coordinator/index.js';
import { createEmbeddedEngine } from '../src/engine/index.js';
import { JET_bit, JetError, type JetBackupApi } from '../src/jet/index.js';
import { benchReport } from './bench-report.js';

const STOPS = 10_000;
const ABORTS = 500;
benchReport.header('coordinator stop latency');
const dir = await mkdtemp(path.join(os.tmpdir(), 'ese-bench-stop-'));
const engine = await createEmbeddedEngine({ directory: dir });
const inst = await engine.createInstance('bench', { logFileSize: 64 * 1024 });
await engine.init(inst);
const db = await engine.createDatabase(inst, 'data.edb');
for (let i = 0; i < 200; i++) await db.put(`k${i}`, 'v'.repeat(1000));

let stoppedAt = 0n;
const api: JetBackupApi = {
  ...engine,
  stopBackup: (i) => {
    stoppedAt = process.hrtime.bigint();
    engine.stopBackup(i);
  },
};
const coordinator = createCoordinator({ api });
const session = coordinator.session(inst);
const stop$ = new Subject<void>();
coordinator.stopWhen(stop$);

// Baseline: a direct engine.stopBackup call, same session shape.
const direct: number[] = [];
const toBackend: number[] = [];
for (let i = 0; i < 2 * STOPS + 1000; i++) {
  await session.beginExternalBackup(inst, 0);
  const t0 = process.hrtime.bigint();
  if (i % 2) {
    stop$.next();
    if (i >= 1000) toBackend.push(Number(stoppedAt - t0));
  } else {
    engine.stopBackup(inst);
    if (i >= 1000) direct.push(Number(process.hrtime.bigint() - t0));
    coordinator.stop(inst); // keep the chart in step with the engine
  }
  await session.endExternalBackup(inst, JET_bit.BackupEndAbort);
}
console.log(benchReport.line('emission -> backend stopBackup', toBackend));
console.log(benchReport.line('direct engine.stopBackup (baseline)', direct));
console.log(`ratio p50 ${(benchReport.percentile(toBackend, 50) / benchReport.percentile(direct, 50)).toFixed(1)}x the direct call`);
benchReport.target('p99 emission -> backend', benchReport.percentile(toBackend, 99) / 1e6, 1, 'ms');

// Abort path: a read loop runs; emission -> the loop's End(Abort) resolved.
const ended: number[] = [];
const buffer = new Uint8Array(16 * 4096);
for (let i = 0; i < ABORTS; i++) {
  const loop = (async () => {
    await session.beginExternalBackup(inst, 0);
    try {
      for (;;) {
        const [file] = await session.getAttachInfo(inst);
        const { handle } = await session.openFile(inst, file!);
        while ((await session.readFile(inst, handle, buffer)) > 0);
        await session.closeFile(inst, handle);
      }
    } catch (e) {
      if (!(e instanceof JetError)) throw e;
      await session.endExternalBackup(inst, JET_bit.BackupEndAbort);
      return process.hrtime.bigint();
    }
  })();
  await new Promise((r) => setTimeout(r, 1));
  const t0 = process.hrtime.bigint();
  stop$.next();
  ended.push(Number((await loop) - t0));
}
console.log(benchReport.line('emission -> session ended (abort path, read loop running)', ended));
// The loop answers from memory: the emission lands only because the engine's calls let the event loop turn.
benchReport.target('p99 emission -> session ended (read loop running)', benchReport.percentile(ended, 99) / 1e6, 5, 'ms');
await engine.close();
await rm(dir, { recursive: true, force: true });
