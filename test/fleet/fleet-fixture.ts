import path from 'node:path';
import { onTestFinished } from 'vitest';
import { runBackup, type BackupResult, type BackupRun } from '../../src/backup/index.js';
import { rateLimitedApi } from '../../src/cli/rate-limited-api.js';
import { createCoordinator, type Coordinator } from '../../src/coordinator/index.js';
import { createEmbeddedEngine, type EmbeddedEngine } from '../../src/engine/index.js';
import { joinFleet, type FleetMember, type JoinFleetOptions } from '../../src/fleet/index.js';
import type { JetInstance } from '../../src/jet/index.js';
import { putKeys, tempDir } from '../backup/helpers.js';

/** One coordinator of a node in the fleet: an embedded engine with its instances, paced so a backup runs for seconds. */
export interface NodeFixture {
  node: string;
  engine: EmbeddedEngine;
  coordinator: Coordinator;
  /** Instances by name. */
  instances: Map<string, JetInstance>;
  member: FleetMember;
  warnings: string[];
  work: string;
}

/** Bytes per read (3 pages of 8 KiB) and the pace: about 0.25 s per read, so a stop is seen within that. */
export const readSize = 24 * 1024;
const bytesPerSecond = 96 * 1024;

/**
 * An engine with `names` instances (each a database of `keys` × 1.5 KB, ~600 KiB by default: 6 s at the
 * default pace), a coordinator paced at `pace` bytes per second, joined to the fleet as `node`.
 */
export async function nodeFixture(
  node: string,
  names: string[],
  fleet: Omit<JoinFleetOptions, 'node'>,
  keys = 400,
  pace = bytesPerSecond,
): Promise<NodeFixture> {
  const root = await tempDir('ese-fleet-test-');
  const engine = await createEmbeddedEngine({ directory: path.join(root, 'engine') });
  onTestFinished(() => engine.close());
  const coordinator = createCoordinator({ api: rateLimitedApi(engine, pace) });
  onTestFinished(() => coordinator.dispose());
  const instances = new Map<string, JetInstance>();
  for (const name of names) {
    const inst = await engine.createInstance(name, { logFileSize: 64 * 1024 });
    await engine.init(inst);
    const db = await engine.createDatabase(inst, 'test.edb');
    await putKeys(db, 0, keys, 1500);
    coordinator.session(inst);
    instances.set(name, inst);
  }
  const warnings: string[] = [];
  const byHandle = new Map([...instances].map(([n, i]) => [i, n]));
  const member = await joinFleet(coordinator, {
    heartbeatMs: 200,
    resyncMs: 1000,
    reconnectTimeWaitMs: 100,
    onWarning: (m) => warnings.push(m),
    ...fleet,
    node,
    instanceName: (inst) => byHandle.get(inst)!,
  });
  onTestFinished(() => member.close());
  return { node, engine, coordinator, instances, member, warnings, work: path.join(root, 'work') };
}

/** A full backup of `name` through the node's coordinator (paced: several seconds), its progress fed to the fleet. */
export function startBackup(fx: NodeFixture, name: string): BackupRun & { result: Promise<BackupResult> } {
  const inst = fx.instances.get(name)!;
  const run = runBackup({
    coordinator: fx.coordinator,
    instance: inst,
    to: path.join(fx.work, `${name}-${Date.now()}`),
    mode: 'full',
    readSize,
    instanceName: name,
  });
  run.progress$.subscribe((p) => fx.member.progress(inst, p));
  return Object.assign(run, { result: run.then((r) => r) });
}

/** Resolves when `check` returns true (polled every 20 ms), or rejects after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    // A check that hangs (a request to a server that is restarting) must not hang the test.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(1, end - Date.now()))));
    try {
      const ok = await Promise.race([Promise.resolve(check()), timeout]);
      if (ok === true) return;
      if (ok === 'timeout') last = 'the last check did not answer';
    } catch (e) {
      last = e;
    } finally {
      clearTimeout(timer);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not within ${ms} ms: ${what}${last ? ` (last: ${last instanceof Error ? last.message : String(last)})` : ''}`);
}

/** The chart's phase of `name` on the node: a session open and not stopped. */
export function isRunning(fx: NodeFixture, name: string): boolean {
  const s = fx.coordinator.snapshot(fx.instances.get(name)!).context.session;
  return s?.open === true && s.stopReason === null;
}
