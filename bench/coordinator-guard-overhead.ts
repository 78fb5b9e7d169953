// Guard overhead: a guarded readFile (verdict, queue, chart) against the engine's own readFile, on the
// same handle and buffer. At EOF the engine does no I/O, so the difference is the guard alone.
// Run: npx tsx bench/coordinator-guard-overhead.ts
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCoordinator } from '../src/coordinator/index.js';
import { createEmbeddedEngine } from '../src/engine/index.js';
import { JET_bit, type JetBackupApi, type JetInstance } from '../src/jet/index.js';
import { benchReport } from './bench-report.js';

const CALLS = 200_000;
const ROUNDS = 5;
benchReport.header('coordinator guard overhead (readFile)');
const dir = await mkdtemp(path.join(os.tmpdir(), 'ese-bench-guard-'));
const engine = await createEmbeddedEngine({ directory: dir });
const inst = await engine.createInstance('bench', { logFileSize: 1024 * 1024 });
await engine.init(inst);
const db = await engine.createDatabase(inst, 'data.edb');
for (let i = 0; i < 2000; i++) await db.put(`k${String(i).padStart(5, '0')}`, 'v'.repeat(1000));
const session = createCoordinator({ api: engine }).session(inst, { facts: { pageSize: 4096 } });
await session.beginExternalBackup(inst, 0);
const [file] = await session.getAttachInfo(inst);
const buffer = new Uint8Array(3 * 4096);

/** ns per call of `n` sequential reads through `api`. */
async function perCall(api: JetBackupApi, handle: bigint, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await api.readFile(inst as JetInstance, handle, buffer);
  return Number(process.hrtime.bigint() - t0) / n;
}

// At EOF: open, read to the end through the coordinator, then time 0-byte reads both ways.
const { handle, size } = await session.openFile(inst, file!);
while ((await session.readFile(inst, handle, buffer)) > 0);
const guarded: number[] = [];
const direct: number[] = [];
await perCall(session, handle, 20_000);
await perCall(engine, handle, 20_000);
for (let r = 0; r < ROUNDS; r++) {
  guarded.push(await perCall(session, handle, CALLS));
  direct.push(await perCall(engine, handle, CALLS));
}
const g = benchReport.percentile(guarded, 50);
const d = benchReport.percentile(direct, 50);
console.log(
  `at EOF, ${ROUNDS} rounds of ${CALLS} calls: guarded ${(g / 1000).toFixed(3)} µs/call, direct ${(d / 1000).toFixed(3)} µs/call, ratio ${(g / d).toFixed(2)}x`,
);
benchReport.target('guard overhead per call', (g - d) / 1000, 2, 'µs');
await session.closeFile(inst, handle);

// Streaming: a whole database file of `size` bytes, 12 KiB per read, guarded vs direct (verified pages, real I/O).
async function stream(api: JetBackupApi): Promise<number> {
  const { handle: h } = await api.openFile(inst, file!);
  const t0 = process.hrtime.bigint();
  let reads = 0;
  while ((await api.readFile(inst, h, buffer)) > 0) reads++;
  const ns = Number(process.hrtime.bigint() - t0) / reads;
  await api.closeFile(inst, h);
  return ns;
}
const sg: number[] = [];
const sd: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  sg.push(await stream(session));
  sd.push(await stream(engine));
}
const sgm = benchReport.percentile(sg, 50);
const sdm = benchReport.percentile(sd, 50);
console.log(
  `streaming ${size} bytes in 12 KiB reads: guarded ${(sgm / 1000).toFixed(3)} µs/read, direct ${(sdm / 1000).toFixed(3)} µs/read, difference ${((sgm - sdm) / 1000).toFixed(3)} µs, ratio ${(sgm / sdm).toFixed(2)}x`,
);
benchReport.target('guard overhead per streamed read', (sgm - sdm) / 1000, 2, 'µs');
await session.endExternalBackup(inst, JET_bit.BackupEndAbort);
await engine.close();
await rm(dir, { recursive: true, force: true });
