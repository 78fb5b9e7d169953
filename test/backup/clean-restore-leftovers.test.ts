import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanOrphans, restoreBackupSet } from '../../src/backup/index.js';
import { hostTag, parseBackupSetEntry } from '../../src/backup/backup-set-names.js';
import { createEmbeddedEngine, INSTANCE_LOCK_FILE } from '../../src/engine/index.js';
import { lockInstanceDirectory } from '../../src/engine/instance-lock.js';
import { committedSet } from './hostile-helpers.js';
import { contents, tempDir } from './helpers.js';

const child = fileURLToPath(new URL('./restore-child.ts', import.meta.url));

/** The pid of a process that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

/** SHA-256 of every file under `dir`, by relative path: to prove a set was not touched. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) out[name] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}

/** A restore of `set` into `to` in a child process, blocked (READY) at `when` until killed. */
async function blockedRestore(set: string, to: string, when: 'engine' | 'fsync') {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, set, to, when, await tempDir()], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => void proc.kill('SIGKILL'));
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', () => out.includes('READY') && resolve());
    void exited.then(() => reject(new Error(`the restore child exited before READY: ${out} ${err}`)));
  });
  return { pid: proc.pid!, kill: async () => (proc.kill('SIGKILL'), exited) };
}

const restoringNames = (dir: string) => fs.readdirSync(dir).filter((n) => parseBackupSetEntry(n).kind === 'restoring');

describe('cleanOrphans: the temporary directories of restores', () => {
  for (const when of ['engine', 'fsync'] as const) {
    it(`a restore SIGKILLed ${when === 'engine' ? 'while its engine holds the instance (lock held)' : 'after its engine shut down, before its rename'}: kept while alive, removed once dead; the set and the target untouched, the retry restores`, async () => {
      const { set, work, db } = await committedSet();
      const expected = contents(db);
      const setPrint = fingerprint(set);
      const to = path.join(work, 'restored');
      const run = await blockedRestore(set, to, when);
      const [name] = restoringNames(work);
      expect(name).toMatch(new RegExp(`^\\.restored\\.restoring-${hostTag(os.hostname())}-${run.pid}-[0-9a-f]+$`));
      const temporary = path.join(work, name!);
      expect(fs.existsSync(path.join(temporary, INSTANCE_LOCK_FILE))).toBe(when === 'engine');

      // Alive: kept, with the reason.
      const live = await cleanOrphans(work);
      expect(live.removed).toEqual([]);
      expect(live.kept).toEqual([{ path: temporary, reason: `restore in progress: pid ${run.pid} is alive` }]);

      expect(await run.kill()).toBe('SIGKILL');
      const dead = await cleanOrphans(work);
      expect(dead).toEqual({ removed: [temporary], kept: [], sessions: [], failed: [] });
      expect(fs.readdirSync(work).sort()).toEqual([path.basename(set)]);
      expect(fingerprint(set)).toEqual(setPrint);

      const engine = await createEmbeddedEngine({ directory: await tempDir() });
      onTestFinished(() => engine.close());
      const report = await restoreBackupSet(set, { engine, to });
      expect(contents(report.restored.databases[0]!)).toEqual(expected);
      // A finished restore's target (and anything else without the pattern) is never a leftover.
      await engine.close();
      expect(await cleanOrphans(work)).toEqual({ removed: [], kept: [], sessions: [], failed: [] });
      expect(fs.readdirSync(work).sort()).toEqual([path.basename(set), 'restored']);
    }, 60_000);
  }

  it('a restore target named like a temporary directory is refused (clean would take it for a leftover)', async () => {
    const { set, work } = await committedSet({ keys: 8 });
    const engine = await createEmbeddedEngine({ directory: await tempDir() });
    onTestFinished(() => engine.close());
    for (const name of [
      `.x.restoring-${deadPid()}-0abc`,
      `.x.restoring-other-host-${deadPid()}-0abc`,
      `.x.partial-${deadPid()}-0abc`,
      '.x.lock',
    ]) {
      await expect(restoreBackupSet(set, { engine, to: path.join(work, name) }), name).rejects.toThrow(
        /has the form of a backup's or restore's temporary name, which clean removes once its pid is gone: choose another name/,
      );
      expect(fs.existsSync(path.join(work, name))).toBe(false);
    }
  });

  it('real left-over directories: removed only when no live process, host or lock speaks for them; links and files are left alone', async () => {
    const dir = await tempDir();
    const dead = deadPid();
    const make = (name: string, files: Record<string, string> = {}) => {
      const d = path.join(dir, name);
      fs.mkdirSync(d);
      for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(d, f), text);
      return d;
    };
    const holder = (pid: number, hostname: string) => JSON.stringify({ pid, hostname, since: '2026-01-01T00:00:00.000Z' });
    const leftover = make(`.a.restoring-${dead}-0badf00d`, { 'test.edb': 'x', 'edb.log': 'y' });
    const crashedLocked = make(`.b.restoring-${dead}-00c0ffee`, { [INSTANCE_LOCK_FILE]: holder(dead, os.hostname()), 'test.edb': 'x' });
    const remote = make(`.c.restoring-${dead}-0000beef`, { [INSTANCE_LOCK_FILE]: holder(dead, 'elsewhere.example') });
    const ownPid = make(`.d.restoring-${process.pid}-0000abcd`);
    const heldHere = make(`.e.restoring-${dead}-0000dcba`);
    const lock = lockInstanceDirectory(heldHere, 'JetRestoreInstance');
    onTestFinished(() => lock.release());
    // The holder text says "dead" (as when a holder has not written its name yet): the flock alone keeps it.
    fs.writeFileSync(lock.file, holder(dead, os.hostname()));
    // Not directories: a symbolic link to a real directory (which must survive) and a plain file.
    const precious = make('precious', { 'keep.edb': 'data' });
    const link = path.join(dir, `.f.restoring-${dead}-00001111`);
    fs.symlinkSync(precious, link);
    const file = path.join(dir, `.g.restoring-${dead}-00002222`);
    fs.writeFileSync(file, 'not a directory');
    // A target and names close to the pattern.
    const target = make('a', { 'test.edb': 'restored' });
    const near = make(`.h.restoring-${dead}-NOTHEX`);

    const r = await cleanOrphans(dir);
    expect(r.removed.sort()).toEqual([leftover, crashedLocked].sort());
    const kept = Object.fromEntries(r.kept.map((k) => [k.path, k.reason]));
    expect(kept).toEqual({
      [remote]: `its instance lock names pid ${dead} on elsewhere.example since 2026-01-01T00:00:00.000Z`,
      [ownPid]: `restore in progress: pid ${process.pid} is alive`,
      [heldHere]: expect.stringMatching(
        /^its instance lock cannot be taken: JetRestoreInstance: JET_errFileAccessDenied \(-1032\): .* is in use by pid/,
      ),
      [link]: "named like a restore's temporary directory but a symbolic link",
      [file]: "named like a restore's temporary directory but not a directory",
    });
    expect(fs.readFileSync(path.join(precious, 'keep.edb'), 'utf8')).toBe('data');
    expect(fs.readFileSync(path.join(target, 'test.edb'), 'utf8')).toBe('restored');
    expect(fs.existsSync(near)).toBe(true);

    // Its lock dropped (its holder gone), the directory goes too.
    lock.release();
    const again = await cleanOrphans(dir);
    expect(again.removed).toEqual([heldHere]);
  });
});
