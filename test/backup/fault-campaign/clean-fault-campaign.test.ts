import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanOrphans, nodeBackupFs, runBackup, verifyBackupSet, type BackupLock, type OrphanReport } from '../../../src/backup/index.js';
import { createCoordinator } from '../../../src/coordinator/index.js';
import { hostTag } from '../../../src/backup/backup-set-names.js';
import { committedSet } from '../hostile-helpers.js';
import { engineFixture, tempDir } from '../helpers.js';
import { present } from './check-invariants.js';
import { errnoError, FaultPlan } from './fault-plan.js';
import { faultingCleanFs } from './faulting-clean-fs.js';

/** The host the campaign's clean runs on (injected through the options, not os). */
const HOST = 'campaign-host';

/** The pid of a process that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

/** How the planned call fails: once, with each code, or it and every call after it (a disk that died). */
const variants = [
  { name: 'EIO once', code: 'EIO', persistent: false },
  { name: 'ENOSPC once', code: 'ENOSPC', persistent: false },
  { name: 'EACCES once', code: 'EACCES', persistent: false },
  { name: 'EIO from k on', code: 'EIO', persistent: true },
] as const;

/** SHA-256 of every file under `dir`, by relative path: to prove a set was not touched. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const file = path.join(dir, name);
    if (fs.lstatSync(file).isFile()) out[name] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}

/**
 * One backup directory with one of each thing clean judges: a committed set (copied from a real
 * backup), a live run (this process: its lock and temporary directory), a dead run, another host's
 * run, an unclaimed dead temporary directory, a dead lock side file, a lock that is not JSON, and
 * restores: live (this process), dead of this host, another host's, and one of the old form (no host).
 */
function layout(dir: string, good: string, dead: number) {
  const at = (name: string) => path.join(dir, name);
  const mkdir = (name: string, files: Record<string, string> = { 'data.edb': 'x'.repeat(100) }) => {
    fs.mkdirSync(at(name));
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(at(name), f), text);
    return at(name);
  };
  const lock = (set: string, pid: number, hostname: string, temporary: string) => {
    const content: BackupLock = {
      pid,
      hostname,
      instance: { backend: 'embedded', handle: '0x1000', name: 'main' },
      startTime: '2026-01-01T00:00:00.000Z',
      temporary: at(temporary),
    };
    fs.writeFileSync(at(`.${set}.lock`), JSON.stringify(content));
    return at(`.${set}.lock`);
  };
  fs.cpSync(good, at('good'), { recursive: true });
  const own = hostTag(HOST);
  const keep = [
    at('good'),
    lock('live', process.pid, HOST, `.live.partial-${process.pid}-aa`),
    mkdir(`.live.partial-${process.pid}-aa`),
    lock('remote', dead, 'other-host', `.remote.partial-${dead}-cc`),
    mkdir(`.remote.partial-${dead}-cc`),
    (fs.writeFileSync(at('.junk.lock'), 'not a lock'), at('.junk.lock')),
    mkdir(`.r1.restoring-${own}-${process.pid}-0a`),
    mkdir(`.r3.restoring-other-host-${dead}-0c`),
  ];
  const removable = [
    lock('dead', dead, HOST, `.dead.partial-${dead}-bb`),
    mkdir(`.dead.partial-${dead}-bb`),
    mkdir(`.orphan.partial-${dead}-dd`),
    (fs.writeFileSync(at(`.x.lock.${dead}-123`), '{}'), at(`.x.lock.${dead}-123`)),
    mkdir(`.r2.restoring-${own}-${dead}-0b`),
    mkdir(`.r4.restoring-${dead}-0d`),
  ];
  return { keep, removable };
}

/** What must hold after a clean, faulted or not, as a list of violations (empty: all hold). */
function violationsOf(
  report: OrphanReport | undefined,
  thrown: unknown,
  failed: string | undefined,
  keep: string[],
  removable: string[],
  goodPrint: Record<string, string>,
): string[] {
  const v: string[] = [];
  for (const k of keep) if (!present(k)) v.push(`removed what must stay: ${k}`);
  if (present(keep[0]!) && JSON.stringify(fingerprint(keep[0]!)) !== JSON.stringify(goodPrint)) v.push('the committed set changed');
  if (thrown !== undefined) {
    // The one documented throw: the directory cannot be listed; then nothing was touched.
    if (!/^cleanOrphans: cannot list .* \(readdir\): /.test((thrown as Error).message)) v.push(`threw ${String(thrown)}`);
    if (!(thrown as NodeJS.ErrnoException).code) v.push('the thrown error has no code');
    for (const r of removable) if (!present(r)) v.push(`removed ${r}, yet threw`);
    return v;
  }
  const r = report!;
  for (const p of r.removed) {
    if (present(p)) v.push(`reports ${p} removed, but it is there`);
    if (!removable.includes(p)) v.push(`removed ${p}, which is not a dead leftover`);
  }
  for (const p of removable) if (!present(p) && !r.removed.includes(p)) v.push(`${p} is gone but not reported removed`);
  if (failed !== undefined && r.failed.length === 0) v.push(`${failed} failed, but the report names no failure`);
  if (failed === undefined && r.failed.length > 0) v.push(`no fault, yet failures: ${JSON.stringify(r.failed)}`);
  for (const f of r.failed) {
    if (!f.message.includes(f.path) || !f.message.startsWith(f.operation))
      v.push(`a failure that does not name its operation and path: ${f.message}`);
    if (f.code === undefined) v.push(`a failure without its code: ${f.message}`);
  }
  return v;
}

describe('clean fault campaign: every file-system call of cleanOrphans failed in turn', () => {
  it(
    'never removes a committed set or a live or remote run or restore, never reports a removal that did not happen, names each failure; a clean after it finishes the job',
    { timeout: 300_000 },
    async () => {
      const { set } = await committedSet({ keys: 8, name: 'good-source' });
      const goodPrint = fingerprint(set);
      const root = await tempDir();
      const plan = new FaultPlan();
      const io = faultingCleanFs(plan);
      let round = 0;
      const dead = deadPid();
      const fresh = () => {
        const dir = path.join(root, `round-${round++}`);
        fs.mkdirSync(dir);
        return { dir, ...layout(dir, set, dead) };
      };

      // The clean run counts the calls.
      const counted = fresh();
      plan.arm(0);
      const clean = await cleanOrphans(counted.dir, { fs: io, hostname: HOST });
      plan.disarm();
      expect(violationsOf(clean, undefined, undefined, counted.keep, counted.removable, goodPrint)).toEqual([]);
      expect(clean.removed.sort()).toEqual([...counted.removable].sort());
      const points = plan.count;
      const kinds = new Set(plan.calls.map((c) => c.split(' ')[0]!));
      for (const kind of ['fs.readdir', 'fs.lstat', 'fs.open', 'fs.fstat', 'fs.read', 'fs.close', 'fs.removeTree', 'fs.lockInstance'])
        expect(kinds).toContain(kind);

      const violations: string[] = [];
      let runs = 0;
      for (const variant of variants) {
        for (let k = 1; ; k++) {
          if (k > 2 * points) throw new Error(`${variant.name}: still failing calls at k=${k} (the clean run made ${points})`);
          const { dir, keep, removable } = fresh();
          plan.arm(k, (kind) => errnoError(variant.code, kind.slice(3), ''), variant.persistent);
          let report: OrphanReport | undefined;
          let thrown: unknown;
          try {
            report = await cleanOrphans(dir, { fs: io, hostname: HOST });
          } catch (e) {
            thrown = e;
          } finally {
            plan.disarm();
          }
          const failed = plan.failed;
          if (failed === undefined) break;
          runs++;
          const found = violationsOf(report, thrown, failed, keep, removable, goodPrint);
          // The next clean, on a healthy disk, finishes the job and leaves only what must stay.
          const after = await cleanOrphans(dir, { hostname: HOST });
          if (after.failed.length > 0) found.push(`the clean after it failed: ${JSON.stringify(after.failed)}`);
          const left = fs.readdirSync(dir).map((n) => path.join(dir, n));
          if (left.sort().join() !== [...keep].sort().join()) found.push(`after a second clean: ${left.join(', ')}`);
          violations.push(...found.map((f) => `${variant.name}, k=${k} (${failed}): ${f}`));
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
      console.log(
        `clean fault campaign: ${points} fault points (${[...kinds].sort().join(', ')}), ${variants.length} ways: ${runs} faulted cleans`,
      );
      expect(runs).toBeGreaterThanOrEqual(variants.length * points);
      expect(violations).toEqual([]);
      expect((await verifyBackupSet(set)).ok).toBe(true);
    },
  );

  it("the runner's clean before it starts: a leftover it cannot remove is reported and the run completes; a parent it cannot list fails the run", async () => {
    const { engine, inst, work } = await engineFixture({ keys: 8 });
    const coordinator = createCoordinator({ api: engine });
    onTestFinished(() => coordinator.dispose());
    const stuck = path.join(work, `.old.partial-${deadPid()}-ab`);
    fs.mkdirSync(stuck);
    const eio = (syscall: string, file: string) => errnoError('EIO', syscall, file);
    const removeFails = {
      ...nodeBackupFs,
      removeTree: async (dir: string) => (dir === stuck ? Promise.reject(eio('rm', dir)) : nodeBackupFs.removeTree(dir)),
    };
    const done = await runBackup({ coordinator, instance: inst, to: path.join(work, 'a'), mode: 'full', fs: removeFails });
    expect(done.outcome).toBe('completed');
    expect(done.orphans?.removed).toEqual([]);
    expect(done.orphans?.failed).toEqual([
      { path: stuck, operation: 'remove', code: 'EIO', message: `remove ${stuck}: EIO: injected fault, rm '${stuck}'` },
    ]);
    expect(fs.existsSync(stuck)).toBe(true);

    const listFails = {
      ...nodeBackupFs,
      readdir: async (dir: string) => (dir === work ? Promise.reject(eio('scandir', dir)) : nodeBackupFs.readdir(dir)),
    };
    const failed = await runBackup({ coordinator, instance: inst, to: path.join(work, 'b'), mode: 'full', fs: listFails });
    expect(failed.outcome).toBe('failed');
    expect(failed.error?.message).toBe(`cleanOrphans: cannot list ${work} (readdir): EIO: injected fault, scandir '${work}'`);
    expect(fs.existsSync(path.join(work, 'b'))).toBe(false);
  });
});
