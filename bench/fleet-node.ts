// A child of bench/fleet-stop-latency.ts: `count` coordinators, each over its own embedded instance
// and its own NATS connection (mode fleet), or one coordinator over `count` instances (mode local).
// Driven over IPC: 'start' begins a paced backup per session; in local mode 'stopAll' stops them.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runBackup, type BackupResult } from '../src/backup/index.js';
import { rateLimitedApi } from '../src/cli/rate-limited-api.js';
import { createCoordinator, type Coordinator } from '../src/coordinator/index.js';
import { createEmbeddedEngine } from '../src/engine/index.js';
import { joinFleet, type FleetMember } from '../src/fleet/index.js';
import { jetBackupMethods, type JetInstance } from '../src/jet/index.js';

const [mode, url, bucket, index, countText] = process.argv.slice(2) as ['fleet' | 'local', string, string, string, string];
const count = Number(countText);
const send = (m: unknown) => process.send!(m);
/** Per session: 24 KiB reads paced to FLEET_BENCH_PACE_KIB KiB/s (default 64: a read every 375 ms), a database of ~1.5 MB. */
const readSize = 24 * 1024;
const pace = Number(process.env.FLEET_BENCH_PACE_KIB ?? 64) * 1024;

const dir = await mkdtemp(path.join(os.tmpdir(), 'ese-bench-fleet-'));
const engine = await createEmbeddedEngine({ directory: path.join(dir, 'engine') });
const insts: JetInstance[] = [];
const value = 'x'.repeat(1500);
for (let i = 0; i < count; i++) {
  const inst = await engine.createInstance(`i${i}`, { logFileSize: 256 * 1024 });
  await engine.init(inst);
  const db = await engine.createDatabase(inst, 'bench.edb');
  for (let k = 0; k < 1000; k += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => db.put(`k${k + j}`, value)));
  insts.push(inst);
}
const coordinators: Coordinator[] = [];
const members: FleetMember[] = [];
if (mode === 'fleet') {
  for (let i = 0; i < count; i++) {
    const c = createCoordinator({ api: rateLimitedApi(engine, pace) });
    c.session(insts[i]!);
    coordinators.push(c);
    members.push(
      await joinFleet(c, {
        servers: url,
        bucket,
        node: `n${index}-${i}`,
        instanceName: () => 'main',
        heartbeatMs: 1000,
        resyncMs: Number(process.env.FLEET_BENCH_RESYNC_MS ?? 5000),
        onWarning: (m) => console.error(m),
      }),
    );
  }
} else {
  // One coordinator; each session paced on its own (one wrapper per instance would share a pace).
  const paced = new Map(insts.map((inst) => [inst, rateLimitedApi(engine, pace)]));
  const api = { ...engine, backend: engine.backend } as typeof engine;
  for (const k of jetBackupMethods) {
    (api as unknown as Record<string, unknown>)[k] = (inst: JetInstance, ...rest: unknown[]) =>
      (paced.get(inst)![k] as (...a: unknown[]) => unknown)(inst, ...rest);
  }
  const c = createCoordinator({ api });
  for (const inst of insts) c.session(inst);
  coordinators.push(c);
}
send({ type: 'ready' });

let runs: Array<Promise<BackupResult & { endedAt: number }>> = [];
process.on('message', async (m: { type: string }) => {
  if (m.type === 'start') {
    runs = insts.map((inst, i) =>
      runBackup({
        coordinator: coordinators[mode === 'fleet' ? i : 0]!,
        instance: inst,
        to: path.join(dir, 'sets', `s${i}`),
        mode: 'full',
        readSize,
      }).then((r) => ({ ...r, endedAt: performance.now() })),
    );
    const running = () => insts.every((inst, i) => coordinators[mode === 'fleet' ? i : 0]!.snapshot(inst).context.session?.open === true);
    while (!running()) await new Promise((r) => setTimeout(r, 10));
    send({ type: 'started' });
  } else if (m.type === 'stopAll') {
    const t0 = performance.now();
    coordinators[0]!.stopAll('bench');
    const stopMs = performance.now() - t0;
    const results = await Promise.all(runs);
    send({
      type: 'stopped',
      stopMs,
      endedMs: results.map((r) => r.endedAt - t0),
      outcomes: results.map((r) => `${r.outcome} ${r.stopReason?.source ?? ''}`),
    });
  } else if (m.type === 'results') {
    const results = await Promise.all(runs);
    send({ type: 'results', outcomes: results.map((r) => `${r.outcome} ${r.stopReason?.source ?? ''}`) });
  } else if (m.type === 'close') {
    await Promise.all(members.map((x) => x.close()));
    for (const c of coordinators) c.dispose();
    await engine.close();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  }
});
