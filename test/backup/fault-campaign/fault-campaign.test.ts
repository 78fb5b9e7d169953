import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runBackup, type BackupResult } from '../../../src/backup/index.js';
import { createCoordinator } from '../../../src/coordinator/index.js';
import { JET_err, JetApiName, JetError } from '../../../src/jet/index.js';
import { engineFixture, putKeys } from '../helpers.js';
import { checkInvariants, instanceLogs } from './check-invariants.js';
import { errnoError, FaultPlan } from './fault-plan.js';
import { faultingApi } from './faulting-api.js';
import { faultingFs } from './faulting-fs.js';

type Mode = 'full' | 'incremental' | 'truncate-logs' | 'incremental-truncate-logs' | 'signed-truncate-logs';

/** The HMAC key of the signed mode (`--sign-key`): 32 fixed bytes. */
const signKey = new Uint8Array(32).map((_, i) => i * 7 + 1);

/** How the planned call fails: once (EIO / -1022, or ENOSPC / -1808), or it and every file-system call after it (EIO / -1022). */
const variants = [
  { name: 'EIO/-1022 once', fsCode: 'EIO', jetErr: JET_err.DiskIO, persistent: false },
  { name: 'ENOSPC/-1808 once', fsCode: 'ENOSPC', jetErr: JET_err.DiskFull, persistent: false },
  { name: 'EIO/-1022 from k on', fsCode: 'EIO', jetErr: JET_err.DiskIO, persistent: true },
] as const;

type Variant = (typeof variants)[number];

/** The calls that read or write a set's bytes (or make them durable): a run that saw one fail never completes. */
const dataCall = /^#\d+ fs\.(open:wx|open:r\+|open:read|write|read|fstat|fdatasync|fsync|readdir) /;

const errorOf =
  (variant: Variant) =>
  (kind: string, k: number): Error =>
    kind.startsWith('jet.')
      ? new JetError(JetApiName[kind.slice(4) as keyof typeof JetApiName], variant.jetErr, { detail: `injected fault #${k}` })
      : errnoError(variant.fsCode, kind.slice(3), '');

/** An engine, a coordinator over the faulting API, and backups of one kind through the faulting file system. */
async function setup(mode: Mode) {
  // A small database, 64 KiB reads and a background fdatasync every 32 KiB: every kind of call, few of each.
  const fx = await engineFixture({ keys: 24, valueSize: 1000 });
  const plan = new FaultPlan();
  const coordinator = createCoordinator({ api: faultingApi(plan, fx.engine) });
  onTestFinished(() => coordinator.dispose());
  const io = faultingFs(plan);
  let n = 0;
  const backup = (truncateLogs: boolean, name: string) =>
    runBackup({
      coordinator,
      instance: fx.inst,
      to: path.join(fx.work, name),
      mode: mode.startsWith('incremental') ? 'incremental' : 'full',
      truncateLogs,
      readSize: 64 * 1024,
      syncEvery: 32 * 1024,
      fs: io,
      ...(mode.startsWith('signed') ? { signKey } : {}),
    });
  /** Each round starts the same: a good truncating backup of this kind (it must succeed after any fault), then new data. */
  const settle = async () => {
    const r = await backup(true, `base-${n++}`);
    if (r.outcome !== 'completed') throw new Error(`the backup after a faulted run failed: ${r.error?.message ?? r.outcome}`);
    for (const d of fs.readdirSync(fx.work)) fs.rmSync(path.join(fx.work, d), { recursive: true, force: true });
    await putKeys(fx.db, 0, 6, 1000, `r${n}-`);
  };
  if (mode.startsWith('incremental'))
    expect(
      (await runBackup({ coordinator, instance: fx.inst, to: path.join(fx.work, 'first'), mode: 'full', truncateLogs: true })).outcome,
    ).toBe('completed');
  return { fx, plan, backup, settle, truncate: mode.endsWith('truncate-logs'), signKey: mode.startsWith('signed') ? signKey : undefined };
}

/**
 * The campaign of one mode: a clean run counts the calls; then, for every variant and every k, the
 * same backup fails call k, the invariants are checked, and a good backup of the same kind follows.
 */
async function campaign(mode: Mode): Promise<{ points: number; runs: number; kinds: Set<string>; calls: string[]; violations: string[] }> {
  const { fx, plan, backup, settle, truncate, signKey: key } = await setup(mode);
  await settle();
  plan.arm(0);
  const clean = await backup(truncate, 'counted');
  plan.disarm();
  expect(clean.outcome).toBe('completed');
  const points = plan.count;
  const calls = [...plan.calls];
  const kinds = new Set(calls.map((c) => c.split(' ')[0]!));
  const violations: string[] = [];
  let runs = 0;
  let maxPoint = 0;
  for (const variant of variants) {
    // Until a run makes fewer than k calls: background fdatasyncs and the number of logs vary a little
    // from run to run, so the clean run's count is a guide, not the bound (its tail would go untested).
    for (let k = 1; ; k++) {
      if (k > 4 * points) throw new Error(`${mode}, ${variant.name}: still failing calls at k=${k} (the clean run made ${points})`);
      await settle();
      const logsBefore = instanceLogs(fx.engine, fx.inst);
      const name = `faulted-${k}`;
      plan.arm(k, errorOf(variant), variant.persistent);
      let result: BackupResult;
      try {
        result = await backup(truncate, name);
      } finally {
        plan.disarm();
      }
      runs++;
      const found = await checkInvariants({
        engine: fx.engine,
        inst: fx.inst,
        to: path.join(fx.work, name),
        result,
        logsBefore,
        allowLeftovers: variant.persistent,
        ...(key ? { signKey: key } : {}),
      });
      if (plan.failed === undefined && result.outcome !== 'completed')
        found.push(`no call was failed, yet the run ended ${result.outcome}`);
      // A failed read or write of the set is never tolerated (a failed unlink of the lock's side file is
      // litter, a failed call after a completed truncation cannot undo it: those may still complete).
      // Only a call made after TruncateLog is excused by it: a failed read before it (the re-read behind
      // the writer, the verify) must have stopped the run before any log went.
      const failedAt = Number(/^#(\d+) /.exec(plan.failed ?? '')?.[1] ?? 0);
      const afterTruncation = plan.calls.slice(0, Math.max(0, failedAt - 1)).some((c) => c.startsWith('jet.truncateLog '));
      if (
        plan.failed !== undefined &&
        result.outcome === 'completed' &&
        !(result.truncated === true && afterTruncation) &&
        dataCall.test(plan.failed)
      )
        found.push(`${plan.failed} failed, yet the run completed`);
      violations.push(
        ...found.map(
          (f) => `${mode}, ${variant.name}, k=${k} (${plan.failed ?? 'no fault'}; ${result.outcome}: ${result.error?.message ?? ''}): ${f}`,
        ),
      );
      maxPoint = Math.max(maxPoint, plan.failed === undefined ? 0 : k);
      if (plan.failed === undefined) break;
    }
  }
  await settle(); // the last faulted run is followed by a good backup too
  return { points: maxPoint, runs, kinds, calls, violations };
}

describe('fault campaign: every call of a backup run failed in turn', () => {
  for (const mode of ['full', 'incremental', 'truncate-logs', 'incremental-truncate-logs', 'signed-truncate-logs'] as const) {
    it(`${mode}: after each fault, nothing or a verified set, no log lost, the truth told, the instance free`, async () => {
      const { points, runs, kinds, calls, violations } = await campaign(mode);
      console.log(
        `fault campaign ${mode}: up to ${points} fault points (each run to its last call), ${variants.length} ways: ${runs} faulted runs (${[...kinds].sort().join(', ')})`,
      );
      for (const kind of [
        'jet.beginExternalBackup',
        'jet.openFile',
        'jet.readFile',
        'jet.closeFile',
        'jet.getLogInfo2',
        'jet.endExternalBackup',
        'fs.mkdir',
        'fs.open:wx',
        'fs.open:r+',
        'fs.write',
        'fs.fdatasync',
        'fs.fsync',
        'fs.rename',
        // The set's lock: its side file written (open:wx, write, fdatasync, close), linked, removed; released.
        'fs.link',
        'fs.unlink',
      ]) {
        expect(kinds).toContain(kind);
      }
      // Every write of the lock and (signed) of manifest.sig is a fault point of its own.
      const lockCalls = calls.filter((c) => /\.lock(\.\d+-\d+)?( |$)/.test(c));
      for (const kind of ['fs.open:wx', 'fs.write', 'fs.fdatasync', 'fs.close', 'fs.link', 'fs.unlink'])
        expect(lockCalls.map((c) => c.split(' ')[0])).toContain(kind);
      const sigCalls = calls.filter((c) => c.endsWith('/manifest.sig')).map((c) => c.split(' ')[0]);
      if (mode.startsWith('signed')) {
        expect(sigCalls.slice(0, 4)).toEqual(['fs.open:wx', 'fs.write', 'fs.fdatasync', 'fs.close']);
        // Then the post-commit verify reads it back through the same seam.
        expect(sigCalls.slice(4)).toEqual(expect.arrayContaining(['fs.open:read', 'fs.fstat', 'fs.read', 'fs.close']));
      } else expect(sigCalls).toEqual(mode.endsWith('truncate-logs') ? ['fs.open:read'] : []); // the verify's probe finds none
      if (mode.endsWith('truncate-logs')) {
        expect(kinds).toContain('jet.truncateLog');
        // The post-commit verify reads through the run's file system: each of its calls is a fault point.
        for (const kind of ['fs.readdir', 'fs.open:read', 'fs.fstat', 'fs.read']) expect(kinds).toContain(kind);
        const manifestReads = calls.filter((c) => c.endsWith(`${path.sep}manifest.json`)).map((c) => c.split(' ')[0]);
        expect(manifestReads).toEqual(expect.arrayContaining(['fs.open:read', 'fs.fstat', 'fs.read', 'fs.close']));
      }
      // The re-read of each file behind its writer (in the temporary directory: nothing else reads there)
      // goes through the same seam, in the modes that verify; a failure of it fails the run (`dataCall`).
      const recheckReads = new Set(
        calls.filter((c) => c.includes('.partial-') && /^fs\.(open:read|read|fstat) /.test(c)).map((c) => c.split(' ')[0]),
      );
      expect([...recheckReads].sort()).toEqual(mode.endsWith('truncate-logs') ? ['fs.fstat', 'fs.open:read', 'fs.read'] : []);
      expect(violations).toEqual([]);
    }, 300_000);
  }

  it('truncate-logs: a TruncateLog that fails after deleting 0, 1, … logs (real files) keeps the set and says which are gone', async () => {
    const { fx, plan, backup, settle } = await setup('truncate-logs');
    const violations: string[] = [];
    let partial = 0;
    for (let after = 0; ; after++) {
      await settle();
      await putKeys(fx.db, 0, 60, 1000, `t${after}-`); // several logs in the truncate range
      const logsBefore = instanceLogs(fx.engine, fx.inst);
      await fx.engine.injectFault(fx.inst, { kind: 'truncateError', after });
      plan.disarm();
      const name = `partial-${after}`;
      const result = await backup(true, name);
      const found = await checkInvariants({ engine: fx.engine, inst: fx.inst, to: path.join(fx.work, name), result, logsBefore });
      if (result.outcome !== 'failed' || !result.set) found.push(`outcome ${result.outcome}, set ${result.set ? 'kept' : 'gone'}`);
      violations.push(...found.map((f) => `after=${after}: ${f}`));
      if (result.truncated === 'partial') partial++;
      if ((result.logsTruncated?.length ?? 0) < after || after >= 20) break; // the range was deleted whole before the fault
    }
    await settle();
    console.log(`fault campaign truncate-logs, engine-side: ${partial} part-way truncations`);
    expect(partial).toBeGreaterThanOrEqual(2);
    expect(violations).toEqual([]);
  }, 120_000);

  it('the checks can fail: a log gone with no set, a completed run with nothing under its name, a signed set without its signature', async () => {
    const { fx } = await setup('full');
    const logsBefore = [...instanceLogs(fx.engine, fx.inst), path.join(fx.work, 'E0000FFFF.log')];
    const lie: BackupResult = { outcome: 'completed', end: 'normal', truncated: false };
    const found = await checkInvariants({ engine: fx.engine, inst: fx.inst, to: path.join(fx.work, 'nothing'), result: lie, logsBefore });
    expect(found).toEqual(
      expect.arrayContaining([
        'completed without a verified set under the final name',
        expect.stringMatching(/^logs gone \(E0000FFFF.log\) without a committed, verified set$/),
        'logs gone but result.truncated is false',
      ]),
    );
    // A signed run whose set stands without manifest.sig (as if the signature were written after the rename).
    const coordinator = createCoordinator({ api: fx.engine });
    onTestFinished(() => coordinator.dispose());
    const to = path.join(fx.work, 'signed');
    const result = await runBackup({ coordinator, instance: fx.inst, to, mode: 'full', signKey });
    expect(result.outcome).toBe('completed');
    const before = instanceLogs(fx.engine, fx.inst);
    expect(await checkInvariants({ engine: fx.engine, inst: fx.inst, to, result, logsBefore: before, signKey })).toEqual([]);
    fs.rmSync(path.join(to, 'manifest.sig'));
    expect(await checkInvariants({ engine: fx.engine, inst: fx.inst, to, result, logsBefore: before, signKey })).toEqual(
      expect.arrayContaining([expect.stringMatching(/does not verify: manifest.sig is missing/)]),
    );
  });
});
