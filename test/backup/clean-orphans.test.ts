import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import {
  BackupSetBusyError,
  BackupSetWriter,
  cleanOrphans,
  readBackupLock,
  runBackup,
  verifyBackupSet,
  type BackupLock,
} from '../../src/backup/index.js';
import { writeBackupLock } from '../../src/backup/backup-lock.js';
import { JET_err } from '../../src/jet/index.js';
import { seedLabel, testSeed } from '../support/test-seed.js';
import { engineFixture, seeded, tempDir } from './helpers.js';

const child = fileURLToPath(new URL('./orphan-child.ts', import.meta.url));
const identity = { backend: 'embedded', handle: '0x1000', name: 'main' };

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

/** SHA-256 of every file under `dir`, by relative path: to prove a set was not touched. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) out[name] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}

/** Start the child backup; `ready` resolves once it printed `until`. */
function startChild(engineDir: string, to: string, how: 'block' | 'run', until = how === 'block' ? 'READY' : 'STARTED') {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, engineDir, to, how], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => void proc.kill('SIGKILL'));
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', () => out.includes(until) && resolve());
    void exited.then(() => (out.includes(until) ? resolve() : reject(new Error(`child exited: ${out} ${err}`))));
  });
  ready.catch(() => undefined); // a run that is not waited for READY may exit first
  return { proc, ready, exited, output: () => out };
}

describe('cleanOrphans', () => {
  it('removes what a SIGKILLed run left, reports its session, never touches a committed set; the next run succeeds', async () => {
    const { engine, inst, work } = await engineFixture({ keys: 20 });
    const coordinator = createCoordinator({ api: engine });
    onTestFinished(() => coordinator.dispose());
    const old = await runBackup({ coordinator, instance: inst, to: path.join(work, 'old'), mode: 'full' });
    expect(old.outcome).toBe('completed');
    const before = fingerprint(old.set!.path);

    const to = path.join(work, 'mon');
    const run = startChild(path.join(await tempDir(), 'engine'), to, 'block');
    await run.ready;
    const names = fs.readdirSync(work).sort();
    expect(names).toEqual(['.mon.lock', expect.stringMatching(new RegExp(`^\\.mon\\.partial-${run.proc.pid}-[0-9a-f]+$`)), 'old']);
    const lock = (await readBackupLock(path.join(work, '.mon.lock')))!;
    expect(lock).toMatchObject({ pid: run.proc.pid, hostname: os.hostname(), instance: { backend: 'embedded', name: 'main' } });
    expect(fs.readdirSync(path.join(work, names[1]!))).toContain('test.edb');

    // Alive: nothing is removed.
    expect(await cleanOrphans(work)).toMatchObject({
      removed: [],
      sessions: [],
      kept: [{ path: path.join(work, '.mon.lock') }, { path: path.join(work, names[1]!) }],
    });
    run.proc.kill('SIGKILL');
    await run.exited;
    const report = await cleanOrphans(work);
    expect(report.removed.sort()).toEqual([path.join(work, '.mon.lock'), path.join(work, names[1]!)].sort());
    expect(report.sessions).toEqual([{ instance: lock.instance, pid: lock.pid, startTime: lock.startTime, set: to }]);
    expect(fs.readdirSync(work)).toEqual(['old']);
    expect(fingerprint(old.set!.path)).toEqual(before);
    expect((await verifyBackupSet(old.set!.path)).ok).toBe(true);

    const next = await runBackup({ coordinator, instance: inst, to, mode: 'full' });
    expect(next.outcome).toBe('completed');
    expect(fs.readdirSync(work).sort()).toEqual(['mon', 'old']);
  });

  const seed = testSeed();
  // Twelve child processes, each started through tsx: 12 s alone, past 60 s at load 11. It times nothing.
  it(
    `SIGKILL at random points: afterwards every set under a final name verifies, and cleaning leaves nothing else (${seedLabel(seed)})`,
    { timeout: 180_000 },
    async () => {
      const work = await tempDir();
      const engines = await tempDir();
      const random = seeded(seed);
      const outcomes: string[] = [];
      let span = 60;
      for (let i = 0; i < 12; i++) {
        const run = startChild(path.join(engines, `e${i}`), path.join(work, `set-${i}`), 'run');
        await run.ready;
        const started = performance.now();
        // The first run is timed, not killed: the others are killed at a random moment of such a span.
        const delay = i === 0 ? Infinity : random.below(span);
        const killed = await Promise.race([
          run.exited.then(() => false),
          new Promise<boolean>((r) => setTimeout(() => r(run.proc.kill('SIGKILL')), Math.min(delay, 60_000))),
        ]);
        await run.exited;
        if (i === 0) span = Math.max(10, Math.round(performance.now() - started));
        outcomes.push(killed ? 'killed' : run.output().includes('completed') ? 'completed' : run.output().trim());
      }
      const cleaned = await cleanOrphans(work);
      console.log(
        `random kills: ${outcomes.join(', ')}; cleaned ${cleaned.removed.length} leftovers; sets: ${fs.readdirSync(work).join(' ')}`,
      );
      for (const name of fs.readdirSync(work)) {
        expect(name.startsWith('.'), `${name} left after cleaning (${outcomes})`).toBe(false);
        const r = await verifyBackupSet(path.join(work, name));
        expect(r.problems, name).toEqual([]);
      }
      expect(await cleanOrphans(work)).toEqual({ removed: [], kept: [], sessions: [], failed: [] });
    },
  );

  it("keeps live runs, other hosts' runs and unreadable locks; removes dead temporary directories and lock side files", async () => {
    const work = await tempDir();
    const dead = deadPid();
    const lock = (pid: number, hostname = os.hostname(), set = 'a'): BackupLock => ({
      pid,
      hostname,
      instance: identity,
      startTime: new Date().toISOString(),
      temporary: path.join(work, `.${set}.partial-${pid}-ab`),
    });
    // A live run: this very process.
    expect(await writeBackupLock(path.join(work, '.live.lock'), lock(process.pid, os.hostname(), 'live'))).toBeUndefined();
    fs.mkdirSync(path.join(work, `.live.partial-${process.pid}-ab`));
    // Another host's run, with a pid that means nothing here.
    await writeBackupLock(path.join(work, '.remote.lock'), lock(dead, 'elsewhere.example', 'remote'));
    fs.mkdirSync(path.join(work, `.remote.partial-${dead}-ab`));
    fs.writeFileSync(path.join(work, '.odd.lock'), 'not json');
    fs.mkdirSync(path.join(work, `.gone.partial-${dead}-cd`)); // killed after mkdir, its lock already removed
    fs.writeFileSync(path.join(work, `.side.lock.${dead}-123`), '{}'); // killed between writing and linking its lock
    fs.mkdirSync(path.join(work, 'committed'));
    fs.writeFileSync(path.join(work, 'committed', 'manifest.json'), '{}');
    fs.mkdirSync(path.join(work, `.committed.partial-not-a-pid`));
    const report = await cleanOrphans(work);
    expect(report.removed.sort()).toEqual([path.join(work, `.gone.partial-${dead}-cd`), path.join(work, `.side.lock.${dead}-123`)].sort());
    expect(report.kept.map((k) => path.basename(k.path)).sort()).toEqual(
      ['.live.lock', '.odd.lock', '.remote.lock', `.remote.partial-${dead}-ab`, `.live.partial-${process.pid}-ab`].sort(),
    );
    expect(report.sessions).toEqual([]);
    expect(fs.readdirSync(work)).toContain('committed');
    expect(fs.readdirSync(work)).toContain('.committed.partial-not-a-pid');
    expect(await cleanOrphans(path.join(work, 'absent'))).toEqual({ removed: [], kept: [], sessions: [], failed: [] });
  });

  it("two runs on one coordinator: the second finds a dead run of the same backend and handle, and does not end the first's session", async () => {
    const { engine, inst, work } = await engineFixture({ keys: 200 });
    const coordinator = createCoordinator({ api: engine });
    onTestFinished(() => coordinator.dispose());
    // The first run sees the same coordinator, with its second read held (before the coordinator's
    // queue, which the second run shares) until the second run is over.
    let reads = 0;
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    const forward = <T extends object>(target: T, key: string | symbol): unknown => {
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
    };
    const gatedCoordinator = new Proxy(coordinator, {
      get(target, key) {
        if (key !== 'session') return forward(target, key);
        return (i: typeof inst) => {
          const session = target.session(i);
          return new Proxy(session, {
            get(t, k) {
              if (k !== 'readFile') return forward(t, k);
              return async (...a: Parameters<typeof session.readFile>) => {
                if (++reads === 2) {
                  held();
                  await gate;
                }
                return t.readFile(...a);
              };
            },
          });
        };
      },
    });
    const first = runBackup({ coordinator: gatedCoordinator, instance: inst, to: path.join(work, 'first'), mode: 'full', readSize: 65536 });
    // The first run's session is open, mid-read (a first run that ended before its second read fails here).
    await Promise.race([
      holding,
      first.then((r) => Promise.reject(new Error(`the first run ended early: ${r.outcome} ${r.error?.message}`))),
    ]);

    // A dead run's lock naming this very backend and handle (as every CLI's embedded instance has).
    const dead = deadPid();
    const handle = `0x${inst.toString(16)}`;
    await writeBackupLock(path.join(work, '.old.lock'), {
      pid: dead,
      hostname: os.hostname(),
      instance: { backend: 'embedded', handle },
      startTime: new Date().toISOString(),
      temporary: path.join(work, `.old.partial-${dead}-ab`),
    });
    const second = await runBackup({ coordinator, instance: inst, to: path.join(work, 'second'), mode: 'full' });
    expect(second.orphans?.sessions).toEqual([expect.objectContaining({ pid: dead, instance: { backend: 'embedded', handle } })]);
    expect(second.outcome).toBe('failed'); // the first run's session is in progress: not ended for the second
    expect(second.error).toMatchObject({ err: JET_err.BackupInProgress });
    expect(engine.lastBackup(inst)).toMatchObject({ incremental: false, end: undefined }); // the first run's session is still open

    openGate();
    const r = await first;
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ outcome: 'completed', end: 'normal' });
    expect((await verifyBackupSet(r.set!.path)).ok).toBe(true);
  });

  it('a live lock makes a second writer of the same set busy; the lock goes when the run is over', async () => {
    const work = await tempDir();
    const to = path.join(work, 'x');
    const first = await BackupSetWriter.create({ to, mode: 'full', instance: identity });
    await expect(BackupSetWriter.create({ to, mode: 'full', instance: identity })).rejects.toBeInstanceOf(BackupSetBusyError);
    await first.discard();
    await first.release();
    expect(fs.readdirSync(work)).toEqual([]);
  });
});
