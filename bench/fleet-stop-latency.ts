// The fleet's stop latency: 100 coordinators (spread over child processes, each with its own NATS
// connection) each with a paced backup running on the embedded engine; one `fleetStop` for all.
// Prints p50/p99/max from the stop being written to each acknowledgement and to each session ended,
// then the same stop through a local coordinator.stopAll. Run: npm run bench:fleet
// Knobs: FLEET_BENCH_COORDINATORS (100), FLEET_BENCH_CHILDREN (4), FLEET_BENCH_PACE_KIB (64 KiB/s per
// session), FLEET_BENCH_RESYNC_MS (each coordinator's full re-read of the desired state, 5000).
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { fleetStatus, fleetStop } from '../src/fleet/index.js';
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
  // CPU time (utime + stime, ms) of the server, the children and this process, from the stop to the last ack.
  const cpuOf = (pid: number) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
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
  const cpu0 = pids.map(cpuOf);
  const wall0 = performance.now();
  let cpuAtAck: number[] = [];
  let wallAtAck = 0;
  const stop = await fleetStop({
    servers: server.url,
    bucket,
    reason: 'bench',
    waitMs: 30_000,
    untilEnded: true,
    onAck: (a) => {
      if (!ackAt.has(a.node)) ackAt.set(a.node, performance.timeOrigin + performance.now());
      if (ackAt.size === COORDINATORS && cpuAtAck.length === 0) {
        cpuAtAck = pids.map(cpuOf);
        wallAtAck = performance.now();
      }
    },
  });
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
    const used = cpuAtAck.map((c, i) => c - cpu0[i]!);
    console.log(
      `  CPU from the stop's start to the last ack (${(wallAtAck - wall0).toFixed(0)} ms wall, 10 ms ticks): server ${used[0]} ms, children ${used.slice(1, -1).join(' / ')} ms, controller ${used.at(-1)} ms`,
    );
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
