// The fleet's stop latency: 100 coordinators spread over child processes (each process with its own
// NATS connection, shared by its coordinators), each with a paced backup running on the embedded
// engine; one `fleetStop` for all, in several rounds (backups started again each round). Prints
// p50/p99/max from the stop being written to each acknowledgement and to each session ended, then
// the same stop through a local coordinator.stopAll. Run: npm run bench:fleet
// Knobs: FLEET_BENCH_COORDINATORS (100), FLEET_BENCH_CHILDREN (4), FLEET_BENCH_ROUNDS (3),
// FLEET_BENCH_CONNECTION (process | member: a connection per coordinator | mixed: side by side), FLEET_BENCH_PACE_KIB (64
// KiB/s per session), FLEET_BENCH_RESYNC_MS (each watch's full re-read of the desired state, 5000),
// FLEET_BENCH_TRACE=1 (where each stop's time goes), FLEET_BENCH_PROFILE=DIR (CPU profiles, round 1).
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { connectFleet, fleetStatus, fleetStop } from '../src/fleet/index.js';
import { startNatsServer } from '../test/fleet/nats-server.js';
import { benchReport } from './bench-report.js';
import { now, printTrace, schedNs, serverPid, tracedController, type Hops } from './fleet-trace.js';

const COORDINATORS = Number(process.env.FLEET_BENCH_COORDINATORS ?? 100);
const CHILDREN = Number(process.env.FLEET_BENCH_CHILDREN ?? 4);
const connectionMode = process.env.FLEET_BENCH_CONNECTION ?? 'process';
const perMember = connectionMode === 'member';
const ROUNDS = Number(process.env.FLEET_BENCH_ROUNDS ?? 3);
const child = fileURLToPath(new URL('./fleet-node.ts', import.meta.url));

benchReport.header(
  `fleet stop: ${COORDINATORS} coordinators over ${CHILDREN} child processes, ${
    {
      member: 'one NATS connection per coordinator',
      mixed: 'even children one NATS connection each (shared by its coordinators), odd ones one per coordinator',
    }[connectionMode] ?? 'one NATS connection per process (its coordinators share it and one watch)'
  }`,
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
  const TRACE = process.env.FLEET_BENCH_TRACE === '1';
  const PROFILE = process.env.FLEET_BENCH_PROFILE;
  const pids = [serverPid(), ...children.map((c) => c.pid!), process.pid];
  // The controller's own connection, opened before the stops (as a controller service holds one).
  const raw = await connectFleet({ servers: server.url, bucket });
  const rounds: Array<{ ack: number[]; ended: number[]; byNode: Array<[string, number]> }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of nodes) n.proc.send({ type: 'start', round });
    await Promise.all(nodes.map((n) => n.next('started')));
    // Every session running as the fleet sees it, before the stop.
    while ((await fleetStatus({ connection: raw })).instances.filter((r) => r.status.phase === 'running').length < COORDINATORS)
      await new Promise((r) => setTimeout(r, 50));
    const load = `load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`;
    if (TRACE && round === 0) {
      // Steady state: what the running backups, heartbeats and resyncs cost before any stop.
      const a = pids.map(schedNs);
      await new Promise((r) => setTimeout(r, 1000));
      const pct = pids.map(schedNs).map((n, i) => ((n - a[i]!) / 1e7).toFixed(0));
      console.log(
        `steady state, share of one core over 1 s: server ${pct[0]}%, children ${pct.slice(1, -1).join(' / ')}%, controller ${pct.at(-1)}%`,
      );
    }
    const cpu: Array<{ at: number; ns: number[] }> = [];
    const sample = () => cpu.push({ at: now(), ns: pids.map(schedNs) });
    const traced = TRACE ? tracedController(raw, sample) : undefined;
    const profiler = new Session();
    if (PROFILE && round === 0) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      await profiler.post('Profiler.start');
    }
    const ackAt = new Map<string, number>();
    const stop = await fleetStop({
      connection: traced?.connection ?? raw,
      reason: 'bench',
      waitMs: 30_000,
      untilEnded: true,
      onAck: (a) => {
        if (ackAt.has(a.node)) return;
        ackAt.set(a.node, now());
        if (TRACE && ackAt.size === COORDINATORS) sample();
      },
    });
    if (PROFILE && round === 0) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(path.join(PROFILE, 'controller.cpuprofile'), JSON.stringify(profile));
      const clock = { abs: now(), hrUs: Number(process.hrtime.bigint()) / 1000 };
      writeFileSync(path.join(PROFILE, 'controller.hops.json'), JSON.stringify({ clock, ackAt: [...ackAt.values()] }));
    }
    for (const n of nodes) n.proc.send({ type: 'results' });
    const results = await Promise.all(nodes.map((n) => n.next('results')));
    const outcomes = results.flatMap((m) => m.outcomes as string[]);
    const byFleet = outcomes.filter((o) => o === 'stopped fleet').length;
    if (byFleet !== COORDINATORS || !stop.ok)
      throw new Error(`not every session was stopped by the fleet: ${JSON.stringify({ missing: stop.missing, outcomes })}`);
    const ack = stop.acked.map((a) => a.ackMs);
    const ended = stop.acked.map((a) => a.endedMs ?? Number.NaN);
    rounds.push({ ack, ended, byNode: stop.acked.map((a) => [a.node, a.ackMs]) });
    console.log(
      `round ${round + 1}: targeted ${stop.targeted.length}, acknowledged ${stop.acked.length}, runner outcomes ${byFleet} of ${outcomes.length} 'stopped' by the fleet; stop->ack p50 ${benchReport.percentile(ack, 50).toFixed(1)} / p99 ${benchReport.percentile(ack, 99).toFixed(1)} ms (${load})`,
    );
    if (traced)
      printTrace({
        children: results.map((m) => ({ hops: m.hops as Hops[], eld: m.eld })),
        ackAt,
        arrived: traced.arrived,
        cpu,
        perMember: (c) => perMember || (connectionMode === 'mixed' && c % 2 === 1),
      });
  }
  await raw.close();
  if (connectionMode === 'mixed') {
    // The same stops, seen side by side: coordinators sharing their process's connection, and with their own.
    const of = (odd: number) =>
      rounds.flatMap((r) => r.byNode.filter(([n]) => Number(/^n(\d+)-/.exec(n)![1]) % 2 === odd).map(([, ms]) => ms));
    percentiles('side by side, stop->ack, even children (one connection per process)', of(0));
    percentiles('side by side, stop->ack, odd children (one connection per coordinator)', of(1));
  }
  const ack = rounds.flatMap((r) => r.ack);
  const ended = rounds.flatMap((r) => r.ended);
  const p99s = rounds.map((r) => benchReport.percentile(r.ack, 99));
  for (const n of nodes) n.proc.send({ type: 'close' });

  const local = start(['local', '', '', '0', String(COORDINATORS)]);
  children.push(local.proc);
  await local.next('ready');
  local.proc.send({ type: 'start' });
  await local.next('started');
  local.proc.send({ type: 'stopAll' });
  const l = await local.next('stopped');
  local.proc.send({ type: 'close' });

  console.log(
    `fleet, ${ROUNDS} rounds pooled (fleetStop writes stop.all; each coordinator applies it and republishes its state; times seen by the controller):`,
  );
  percentiles('  stop->ack', ack);
  percentiles('  stop->ended', ended);
  console.log(`  p99 stop->ack per round: ${p99s.map((p) => p.toFixed(1)).join(', ')} ms (the last line: the pooled p99 above)`);
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
