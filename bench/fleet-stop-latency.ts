// The fleet's stop latency: 100 coordinators (spread over child processes, each with its own NATS
// connection) each with a paced backup running on the embedded engine; one `fleetStop` for all.
// Prints p50/p99/max from the stop being written to each acknowledgement and to each session ended,
// then the same stop through a local coordinator.stopAll. Run: npm run bench:fleet
// Knobs: FLEET_BENCH_COORDINATORS (100), FLEET_BENCH_CHILDREN (4), FLEET_BENCH_PACE_KIB (64 KiB/s per
// session), FLEET_BENCH_RESYNC_MS (each coordinator's full re-read of the desired state, 5000).
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { connectFleet, fleetStatus, fleetStop, type FleetConnection } from '../src/fleet/index.js';
import { startNatsServer } from '../test/fleet/nats-server.js';
import { benchReport } from './bench-report.js';

const COORDINATORS = Number(process.env.FLEET_BENCH_COORDINATORS ?? 100);
const CHILDREN = Number(process.env.FLEET_BENCH_CHILDREN ?? 4);
const perMember = process.env.FLEET_BENCH_CONNECTION === 'member';
const child = fileURLToPath(new URL('./fleet-node.ts', import.meta.url));

benchReport.header(
  `fleet stop: ${COORDINATORS} coordinators over ${CHILDREN} child processes, ${process.env.FLEET_BENCH_CONNECTION === 'member' ? 'one NATS connection per coordinator' : 'one NATS connection per process (its coordinators share it and one watch)'}`,
);
const server = await startNatsServer();
const bucket = 'bench';

type Msg = { type: string; [k: string]: unknown };
const start = (args: string[]) => {
  const proc = fork(child, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (type: string) =>
    new Promise<Msg>((resolve, reject) => {
      const on = (m: Msg) => {
        if (m.type === type) {
          proc.off('message', on);
          resolve(m);
        }
      };
      proc.on('message', on);
      proc.once('exit', (code) => reject(new Error(`bench child exited with ${code} before '${type}'`)));
    });
  return { proc, next };
};
const percentiles = (label: string, ms: number[]) => {
  const p = (q: number) => benchReport.percentile(ms, q).toFixed(1);
  console.log(`${label}: n=${ms.length} p50 ${p(50)} ms, p99 ${p(99)} ms, max ${Math.max(...ms).toFixed(1)} ms`);
};
const children: ChildProcess[] = [];
try {
  const per = Math.ceil(COORDINATORS / CHILDREN);
  const nodes = Array.from({ length: CHILDREN }, (_, i) =>
    start(['fleet', server.url, bucket, String(i), String(Math.min(per, COORDINATORS - i * per))]),
  );
  children.push(...nodes.map((n) => n.proc));
  const t0 = performance.now();
  await Promise.all(nodes.map((n) => n.next('ready')));
  console.log(
    `setup: ${COORDINATORS} coordinators joined in ${((performance.now() - t0) / 1000).toFixed(1)} s (engines filled, connections open)`,
  );
  for (const n of nodes) n.proc.send({ type: 'start' });
  await Promise.all(nodes.map((n) => n.next('started')));
  // Every session running as the fleet sees it, before the stop.
  while ((await fleetStatus({ servers: server.url, bucket })).instances.filter((r) => r.status.phase === 'running').length < COORDINATORS)
    await new Promise((r) => setTimeout(r, 50));
  console.log(
    `load average before the stop: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (${os.cpus().length} cores)`,
  );
  const ackAt = new Map<string, number>();
  // Trace: CPU time on a core (ns, /proc/PID/schedstat) of the server, each child and this controller,
  // sampled every 5 ms while the stop runs; the samples around the stop's write and the last ack are kept.
  const TRACE = process.env.FLEET_BENCH_TRACE === '1';
  // Every thread's (the server's goroutines, Node's workers and GC threads).
  const schedNs = (pid: number) => {
    try {
      return readdirSync(`/proc/${pid}/task`).reduce(
        (n, t) => n + Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]),
        0,
      );
    } catch {
      return Number.NaN;
    }
  };
  const serverPid = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .find((d) => {
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8');
        return st.includes('(nats-server)') && st.split(') ')[1]!.split(' ')[1] === String(process.pid);
      } catch {
        return false;
      }
    });
  const pids = [Number(serverPid), ...children.map((c) => c.pid!), process.pid];
  const cpuSamples: Array<{ at: number; ns: number[] }> = [];
  const sample = () => {
    if (TRACE) cpuSamples.push({ at: performance.timeOrigin + performance.now(), ns: pids.map(schedNs) });
  };
  if (TRACE) {
    // Steady state: what the running backups, heartbeats and resyncs cost before any stop.
    const a = pids.map(schedNs);
    await new Promise((r) => setTimeout(r, 1000));
    const b = pids.map(schedNs);
    const pct = b.map((n, i) => ((n - a[i]!) / 1e7).toFixed(0));
    console.log(
      `steady state, share of one core over 1 s: server ${pct[0]}%, children ${pct.slice(1, -1).join(' / ')}%, controller ${pct.at(-1)}%`,
    );
  }
  // The controller's own connection, opened before the stop (as a controller service would hold one);
  // traced: the CPU sampled just before the stop's write, each state update's arrival.
  const raw = await connectFleet({ servers: server.url, bucket });
  const arrived: Array<{ at: number; created: number }> = [];
  const desired = Object.create(raw.desired) as FleetConnection['desired'];
  desired.update = (...a) => (sample(), raw.desired.update(...a));
  desired.create = (...a) => (sample(), raw.desired.create(...a));
  const state = Object.create(raw.state) as FleetConnection['state'];
  state.watch = async (o) => {
    const it = await raw.state.watch(o);
    return {
      stop: () => it.stop(),
      async *[Symbol.asyncIterator]() {
        for await (const e of it) {
          arrived.push({ at: performance.timeOrigin + performance.now(), created: e.created.getTime() });
          yield e;
        }
      },
    } as unknown as Awaited<ReturnType<FleetConnection['state']['watch']>>;
  };
  const profiler = new Session();
  if (process.env.FLEET_BENCH_PROFILE) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
    await profiler.post('Profiler.start');
  }
  const controller = TRACE ? Object.assign(Object.create(raw) as FleetConnection, { desired, state }) : raw;
  const stop = await fleetStop({
    connection: controller,
    reason: 'bench',
    waitMs: 30_000,
    untilEnded: true,
    onAck: (a) => {
      if (!ackAt.has(a.node)) ackAt.set(a.node, performance.timeOrigin + performance.now());
      if (ackAt.size === COORDINATORS) sample();
    },
  });
  await raw.close();
  if (process.env.FLEET_BENCH_PROFILE) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(path.join(process.env.FLEET_BENCH_PROFILE, 'controller.cpuprofile'), JSON.stringify(profile));
    writeFileSync(
      path.join(process.env.FLEET_BENCH_PROFILE, 'controller.hops.json'),
      JSON.stringify({
        clock: { abs: performance.timeOrigin + performance.now(), hrUs: Number(process.hrtime.bigint()) / 1000 },
        ackAt: [...ackAt.values()],
      }),
    );
  }
  for (const n of nodes) n.proc.send({ type: 'results' });
  const results = await Promise.all(nodes.map((n) => n.next('results')));
  const outcomes = results.flatMap((m) => m.outcomes as string[]);
  if (process.env.FLEET_BENCH_TRACE === '1') {
    type Hops = {
      created: number;
      watch: number;
      stopping: number;
      putCall: number;
      putDone: number;
      putsBefore: number;
      inflightAtStopping: boolean;
    };
    const all = results.flatMap((m, c) => (m.hops as Hops[]).map((h, i) => ({ ...h, ack: ackAt.get(`n${c}-${i}`)! })));
    const base = Math.min(...all.map((h) => h.created));
    const hop = (label: string, f: (h: (typeof all)[number]) => number) => percentiles(`  ${label}`, all.map(f));
    console.log("trace (ms; created is the server's ms timestamp of stop.all):");
    hop('created->watch', (h) => h.watch - base);
    hop('watch->stopping', (h) => h.stopping - h.watch);
    hop('stopping->put call', (h) => h.putCall - h.stopping);
    hop('put call->put done', (h) => h.putDone - h.putCall);
    hop('put done->controller ack', (h) => h.ack - h.putDone);
    const lastAck = Math.max(...ackAt.values());
    const stored = arrived.filter((a) => a.created >= base && a.at <= lastAck);
    percentiles(
      '  state stored (server ms)->arrived at controller',
      stored.map((a) => a.at - a.created),
    );
    hop('created->controller ack', (h) => h.ack - base);
    console.log(`  put in flight when stopping: ${all.filter((h) => h.inflightAtStopping).length} of ${all.length}`);
    for (const [c, m] of results.entries()) {
      const hs = m.hops as Array<Hops & { cpu: number; cpuPut: number }>;
      const first = hs.reduce((a, b) => (a.watch < b.watch ? a : b));
      const last = hs.reduce((a, b) => (a.putCall > b.putCall ? a : b));
      // With a connection per member, each member's CPU between its own watch and put (summed).
      const cpu = perMember ? hs.reduce((n, h) => n + (h.cpuPut - h.cpu), 0) : last.cpuPut - first.cpu;
      console.log(
        `  child ${c}: first watch ${(first.watch - base).toFixed(0)} ms, last put call ${(last.putCall - base).toFixed(0)} ms, CPU between ${cpu.toFixed(0)} ms; event-loop delay ${JSON.stringify(m.eld)}`,
      );
    }
    const [from, to] = cpuSamples;
    if (from && to) {
      const ms = to.ns.map((n, i) => (n - from.ns[i]!) / 1e6);
      console.log(
        `  CPU on a core from the stop's write to the last ack (${(to.at - from.at).toFixed(0)} ms wall, schedstat): server ${ms[0]!.toFixed(1)} ms, children ${ms
          .slice(1, -1)
          .map((x) => x.toFixed(1))
          .join(' / ')} ms, controller ${ms.at(-1)!.toFixed(1)} ms; load average ${os.loadavg()[0]!.toFixed(1)}`,
      );
    }
  }
  const byFleet = outcomes.filter((o) => o === 'stopped fleet').length;
  console.log(
    `targeted ${stop.targeted.length}, acknowledged ${stop.acked.length}, missing ${stop.missing.length}; runner outcomes: ${byFleet} of ${outcomes.length} 'stopped' by the fleet`,
  );
  if (byFleet !== COORDINATORS || !stop.ok)
    throw new Error(`not every session was stopped by the fleet: ${JSON.stringify({ missing: stop.missing, outcomes })}`);
  const ack = stop.acked.map((a) => a.ackMs);
  const ended = stop.acked.map((a) => a.endedMs ?? Number.NaN);
  for (const n of nodes) n.proc.send({ type: 'close' });

  const local = start(['local', '', '', '0', String(COORDINATORS)]);
  children.push(local.proc);
  await local.next('ready');
  local.proc.send({ type: 'start' });
  await local.next('started');
  local.proc.send({ type: 'stopAll' });
  const l = await local.next('stopped');
  local.proc.send({ type: 'close' });

  console.log('fleet (fleetStop writes stop.all; each coordinator applies it and republishes its state; times seen by the controller):');
  percentiles('  stop->ack', ack);
  percentiles('  stop->ended', ended);
  console.log(`local (one coordinator, ${COORDINATORS} sessions, coordinator.stopAll in-process):`);
  console.log(`  stopAll call (every chart stopped, JetStopBackupInstance called): ${(l.stopMs as number).toFixed(2)} ms`);
  percentiles('  stop->ended', l.endedMs as number[]);
  const paceKiB = Number(process.env.FLEET_BENCH_PACE_KIB ?? 64);
  console.log(
    `ended includes the runner noticing on its next paced read (24 KiB at ${paceKiB} KiB/s: one every ${((24 / paceKiB) * 1000).toFixed(0)} ms per session) and End2(Abort).`,
  );
  console.log(`p99 stop->ack: ${benchReport.percentile(ack, 99).toFixed(1)} ms`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await server.stop();
  // As the CLI does: should a client timer still hold the event loop, leave anyway.
  setTimeout(() => process.exit(), 2000).unref();
}
