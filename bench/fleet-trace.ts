// The tracing of bench/fleet-stop-latency.ts (FLEET_BENCH_TRACE=1): CPU on a core per process from
// /proc/PID/task/*/schedstat, the controller's connection wrapped to time the stop's write and each
// state update's arrival, and the per-hop report of one stop from the children's hops.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { FleetConnection } from '../src/fleet/index.js';
import { benchReport } from './bench-report.js';

/** Absolute time in ms (comparable across processes on one machine). */
export const now = (): number => performance.timeOrigin + performance.now();

/** The hops of one member's stop, recorded by its child (absolute ms; `created` is the server's ms stamp of stop.all). */
export interface Hops {
  created: number;
  watch: number;
  stopping: number;
  putCall: number;
  putDone: number;
  putsBefore: number;
  inflightAtStopping: boolean;
  cpu: number;
  cpuPut: number;
}

/** CPU time on a core (ns) of every thread of `pid`: the server's goroutines, Node's workers and GC threads. */
export function schedNs(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce(
      (n, t) => n + Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]),
      0,
    );
  } catch {
    return Number.NaN;
  }
}

/** The pid of the nats-server this process started. */
export function serverPid(): number {
  const found = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .find((d) => {
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8');
        return st.includes('(nats-server)') && st.split(') ')[1]!.split(' ')[1] === String(process.pid);
      } catch {
        return false;
      }
    });
  return Number(found);
}

/** The controller's connection, wrapped: `onWrite` just before the stop's write; every state update's arrival kept. */
export function tracedController(raw: FleetConnection, onWrite: () => void) {
  const arrived: Array<{ at: number; created: number }> = [];
  const desired = Object.create(raw.desired) as FleetConnection['desired'];
  desired.update = (...a) => (onWrite(), raw.desired.update(...a));
  desired.create = (...a) => (onWrite(), raw.desired.create(...a));
  const state = Object.create(raw.state) as FleetConnection['state'];
  state.watch = async (o) => {
    const it = await raw.state.watch(o);
    return {
      stop: () => it.stop(),
      async *[Symbol.asyncIterator]() {
        for await (const e of it) {
          arrived.push({ at: now(), created: e.created.getTime() });
          yield e;
        }
      },
    } as unknown as Awaited<ReturnType<FleetConnection['state']['watch']>>;
  };
  return { connection: Object.assign(Object.create(raw) as FleetConnection, { desired, state }), arrived };
}

const percentiles = (label: string, ms: number[]) => {
  const p = (q: number) => benchReport.percentile(ms, q).toFixed(1);
  console.log(`${label}: n=${ms.length} p50 ${p(50)} ms, p99 ${p(99)} ms, max ${Math.max(...ms).toFixed(1)} ms`);
};

/** Prints where one stop's time went: each hop's percentiles, each child's burst, CPU per process. */
export function printTrace(options: {
  children: Array<{ hops: Hops[]; eld: unknown }>;
  ackAt: Map<string, number>;
  arrived: Array<{ at: number; created: number }>;
  cpu: Array<{ at: number; ns: number[] }>;
  perMember: (child: number) => boolean;
}): void {
  const { ackAt } = options;
  const all = options.children.flatMap((m, c) => m.hops.map((h, i) => ({ ...h, ack: ackAt.get(`n${c}-${i}`)! })));
  const base = Math.min(...all.map((h) => h.created));
  const lastAck = Math.max(...ackAt.values());
  const hop = (label: string, f: (h: (typeof all)[number]) => number) => percentiles(`  ${label}`, all.map(f));
  console.log("  trace (ms from the server's ms timestamp of stop.all, clocks of one machine):");
  hop('  stored->watch delivered', (h) => h.watch - base);
  hop('  watch->chart stopped', (h) => h.stopping - h.watch);
  hop('  chart stopped->state put sent', (h) => h.putCall - h.stopping);
  hop('  put sent->put acknowledged to the member', (h) => h.putDone - h.putCall);
  percentiles(
    '    state stored->arrived at the controller',
    options.arrived.filter((a) => a.created >= base && a.at <= lastAck).map((a) => a.at - a.created),
  );
  hop('  stored->controller ack', (h) => h.ack - base);
  console.log(`    a put in flight when the chart stopped: ${all.filter((h) => h.inflightAtStopping).length} of ${all.length}`);
  for (const [c, m] of options.children.entries()) {
    const first = m.hops.reduce((a, b) => (a.watch < b.watch ? a : b));
    const last = m.hops.reduce((a, b) => (a.putCall > b.putCall ? a : b));
    // With a connection per member, each member's CPU between its own watch and put (summed).
    const cpu = options.perMember(c) ? m.hops.reduce((n, h) => n + (h.cpuPut - h.cpu), 0) : last.cpuPut - first.cpu;
    console.log(
      `    child ${c}: first watch ${(first.watch - base).toFixed(0)} ms, last put sent ${(last.putCall - base).toFixed(0)} ms, main-thread CPU between ${cpu.toFixed(0)} ms; event-loop delay ${JSON.stringify(m.eld)}`,
    );
  }
  const [from, to] = options.cpu;
  if (from && to) {
    const ms = to.ns.map((n, i) => (n - from.ns[i]!) / 1e6);
    console.log(
      `    CPU on a core, stop written->last ack (${(to.at - from.at).toFixed(0)} ms wall, all threads): server ${ms[0]!.toFixed(1)} ms, children ${ms
        .slice(1, -1)
        .map((x) => x.toFixed(1))
        .join(' / ')} ms, controller ${ms.at(-1)!.toFixed(1)} ms; load average ${os.loadavg()[0]!.toFixed(1)}`,
    );
  }
}
