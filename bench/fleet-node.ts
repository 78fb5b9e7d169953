// A child of bench/fleet-stop-latency.ts: `count` coordinators, each over its own embedded instance
// and joined to the fleet, on one shared NATS connection or one each (mode fleet), or one coordinator over `count` instances (mode local).
// Driven over IPC: 'start' begins a paced backup per session (again for each round); in local mode
// 'stopAll' stops them. FLEET_BENCH_TRACE=1 records the hops of each member's stop (see fleet-trace.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runBackup, type BackupResult } from '../src/backup/index.js';
import { rateLimitedApi } from '../src/cli/rate-limited-api.js';
import { createCoordinator, type Coordinator } from '../src/coordinator/index.js';
import { createEmbeddedEngine } from '../src/engine/index.js';
import { connectFleet, joinFleet, type FleetConnection, type FleetMember } from '../src/fleet/index.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { jetBackupMethods, type JetInstance } from '../src/jet/index.js';
import { now, type Hops as TracedHops } from './fleet-trace.js';

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
// Tracing (FLEET_BENCH_TRACE=1): absolute times (timeOrigin + now) at each hop of the stop, per member.
const TRACE = process.env.FLEET_BENCH_TRACE === '1';
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
type Hops = Partial<TracedHops> & { putsBefore: number };
const hops: Hops[] = [];
// FLEET_BENCH_PROFILE=DIR: a CPU profile of each child from 'started' to 'results'.
const PROFILE = process.env.FLEET_BENCH_PROFILE;
const profiler = new Session();
const eld = monitorEventLoopDelay({ resolution: 5 });
// The hops of the members on `fleet` (by node name): the desired watch's delivery of stop.all (one per
// connection, so shared by its members) and each member's put of a state with the stop applied.
const traced = (fleet: FleetConnection, members: Map<string, Hops>): FleetConnection => {
  const inflight = new Map<string, number>();
  const desired = Object.create(fleet.desired) as FleetConnection['desired'];
  desired.watch = async (o) => {
    const it = await fleet.desired.watch(o);
    const wrapped = {
      stop: () => it.stop(),
      async *[Symbol.asyncIterator]() {
        for await (const e of it) {
          if (e.key === 'stop.all') {
            const at = { watch: now(), cpu: cpuMs(), created: e.created.getTime() };
            for (const h of members.values()) if (h.watch === undefined) Object.assign(h, at);
          }
          yield e;
        }
      },
    };
    return wrapped as unknown as Awaited<ReturnType<FleetConnection['desired']['watch']>>;
  };
  const state = Object.create(fleet.state) as FleetConnection['state'];
  state.put = async (k, v, o) => {
    const h = members.get(k.split('.')[1]!)!;
    // After this round's stop.all arrived (a state put before it may still carry the last round's stop).
    const stopped = h.watch !== undefined && typeof v === 'string' && v.includes('"fleetStops":[{');
    if (stopped && h.putCall === undefined) {
      h.putCall = now();
      // The CPU time once, at the last member's put (process.cpuUsage is a syscall).
      if ([...members.values()].every((x) => x.putCall !== undefined)) for (const x of members.values()) x.cpuPut = cpuMs();
    } else if (!stopped && h.watch === undefined) h.putsBefore++;
    inflight.set(k, (inflight.get(k) ?? 0) + 1);
    try {
      return await fleet.state.put(k, v, o);
    } finally {
      inflight.set(k, inflight.get(k)! - 1);
      if (stopped && h.putDone === undefined) h.putDone = now();
    }
  };
  return Object.assign(Object.create(fleet) as FleetConnection, { desired, state, inflight: (k: string) => inflight.get(k) ?? 0 });
};
const members: FleetMember[] = [];
// FLEET_BENCH_CONNECTION: 'process' (default: the coordinators of a child share one connection, and so
// one watch of the desired state) or 'member' (a connection per coordinator).
// 'mixed': even children share, odd ones have a connection per coordinator (compared side by side).
const connectionMode = process.env.FLEET_BENCH_CONNECTION ?? 'process';
const perMember = connectionMode === 'member' || (connectionMode === 'mixed' && Number(index) % 2 === 1);
if (mode === 'fleet') {
  const connections = new Map<FleetConnection, Map<string, Hops>>();
  const open = async () => {
    const traces = new Map<string, Hops>();
    const raw = await connectFleet({ servers: url, bucket });
    const fleet = TRACE ? traced(raw, traces) : raw;
    connections.set(fleet, traces);
    return fleet;
  };
  const shared = perMember ? undefined : await open();
  for (let i = 0; i < count; i++) {
    const c = createCoordinator({ api: rateLimitedApi(engine, pace) });
    c.session(insts[i]!);
    coordinators.push(c);
    const node = `n${index}-${i}`;
    const fleet = shared ?? (await open());
    const h: Hops = (hops[i] = { putsBefore: 0 });
    connections.get(fleet)!.set(node, h);
    if (TRACE)
      c.states$.subscribe(({ snapshot }) => {
        if (h.watch !== undefined && h.stopping === undefined && snapshot.context.session?.stopReason) {
          h.stopping = now();
          h.inflightAtStopping = (fleet as unknown as { inflight(k: string): number }).inflight(`state.${node}.main`) > 0;
        }
      });
    members.push(
      await joinFleet(c, {
        connection: fleet,
        node,
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
let round = 0;
process.on('message', async (m: { type: string; round?: number }) => {
  if (m.type === 'start') {
    round = m.round ?? 0;
    // A new round: the hops start again (the objects are shared with the traced connections).
    for (const h of hops) {
      for (const k of Object.keys(h)) delete (h as Record<string, unknown>)[k];
      h.putsBefore = 0;
    }
    runs = insts.map((inst, i) =>
      runBackup({
        coordinator: coordinators[mode === 'fleet' ? i : 0]!,
        instance: inst,
        to: path.join(dir, 'sets', `r${round}`, `s${i}`),
        mode: 'full',
        readSize,
      }).then((r) => ({ ...r, endedAt: performance.now() })),
    );
    const running = () => insts.every((inst, i) => coordinators[mode === 'fleet' ? i : 0]!.snapshot(inst).context.session?.open === true);
    while (!running()) await new Promise((r) => setTimeout(r, 10));
    eld.reset();
    eld.enable();
    if (PROFILE && round === 0) {
      await profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      await profiler.post('Profiler.start');
    }
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
    eld.disable();
    if (PROFILE && round === 0) {
      const { profile } = await profiler.post('Profiler.stop');
      await writeFile(path.join(PROFILE, `child-${index}.cpuprofile`), JSON.stringify(profile));
      // The profile's clock (µs, monotonic) against the absolute times of the hops.
      const clock = { abs: now(), hrUs: Number(process.hrtime.bigint()) / 1000 };
      await writeFile(path.join(PROFILE, `child-${index}.hops.json`), JSON.stringify({ clock, hops }));
    }
    send({
      type: 'results',
      outcomes: results.map((r) => `${r.outcome} ${r.stopReason?.source ?? ''}`),
      hops,
      eld: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
    });
  } else if (m.type === 'close') {
    await Promise.all(members.map((x) => x.close()));
    await Promise.all([...new Set(members.map((x) => x.connection))].map((x) => x.close()));
    for (const c of coordinators) c.dispose();
    await engine.close();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  }
});
