import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createEmbeddedEngine } from '../../src/engine/index.js';
import { INSTANCE_LOCK_FILE, readInstanceLockHolder } from '../../src/engine/instance-lock.js';
import { JET_err, JetError } from '../../src/jet/index.js';
import { tempDir } from '../backup/helpers.js';

const holdInstance = fileURLToPath(new URL('./fixtures/hold-instance.ts', import.meta.url));

/** A child process holding `directory/name` open; `held` resolves once its JetInit returned. */
function holdInChild(directory: string, name: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', holdInstance, directory, name], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => void proc.kill('SIGKILL'));
  let out = '';
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const held = new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()).includes('HELD') && resolve());
    void exited.then(() => reject(new Error(`holder exited: ${out}`)));
  });
  return { proc, held, exited };
}

async function jetErrorOf(p: Promise<unknown>): Promise<JetError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof JetError)) throw new Error(`expected a JetError, got ${String(e)}`);
  return e;
}

describe('instance lock: one owner per instance directory', () => {
  it('another process holds the instance: JetInit answers -1032 naming its pid and host; after SIGKILL the lock is free', async () => {
    const root = await tempDir();
    const holder = holdInChild(root, 'main');
    await holder.held;
    const engine = await createEmbeddedEngine({ directory: root });
    onTestFinished(() => engine.close());
    const inst = await engine.createInstance('main', { logFileSize: 64 * 1024 });
    const e = await jetErrorOf(engine.init(inst));
    expect(e.err).toBe(JET_err.FileAccessDenied);
    expect(e.api).toBe('JetInit');
    expect(e.message).toContain(`pid ${holder.proc.pid} on ${os.hostname()} since 20`);
    // The loser changed nothing: the holder's lock file still names it.
    expect(readInstanceLockHolder(path.join(root, 'main', INSTANCE_LOCK_FILE))?.pid).toBe(holder.proc.pid);

    holder.proc.kill('SIGKILL');
    await holder.exited;
    // The killed holder's file is still there, but the kernel dropped its lock.
    expect(fs.existsSync(path.join(root, 'main', INSTANCE_LOCK_FILE))).toBe(true);
    await engine.init(inst);
    expect(readInstanceLockHolder(path.join(root, 'main', INSTANCE_LOCK_FILE))?.pid).toBe(process.pid);
    const db = await engine.attachDatabase(inst, 'test.edb');
    await db.put('after', 'kill');
    await engine.term(inst);
    expect(fs.existsSync(path.join(root, 'main', INSTANCE_LOCK_FILE))).toBe(false);
  });

  it('two engine objects in one process: the second JetInit answers -1083 naming this process; free after term', async () => {
    const root = await tempDir();
    const first = await createEmbeddedEngine({ directory: root });
    onTestFinished(() => first.close());
    const a = await first.createInstance('main');
    await first.init(a);
    await (await first.createDatabase(a, 'test.edb')).put('k', 'v');

    const second = await createEmbeddedEngine({ directory: root });
    onTestFinished(() => second.close());
    const b = await second.createInstance('main');
    const e = await jetErrorOf(second.init(b));
    expect(e.err).toBe(JET_err.SystemPathInUse);
    expect(e.message).toContain(`pid ${process.pid} on ${os.hostname()}`);
    expect(second.instanceInfo(b).state).toBe('created');
    // The first owner is untouched.
    await (await first.attachDatabase(a, 'test.edb')).put('k2', 'v2');

    await first.term(a);
    await second.init(b);
    expect((await second.attachDatabase(b, 'test.edb')).get('k2')).toBeDefined();
    // close() releases the lock too.
    await second.close();
    const third = await createEmbeddedEngine({ directory: root });
    onTestFinished(() => third.close());
    await third.init(await third.createInstance('main'));
  });

  it('a failed JetInit releases the lock', async () => {
    const root = await tempDir();
    const engine = await createEmbeddedEngine({ directory: root });
    onTestFinished(() => engine.close());
    const inst = await engine.createInstance('main', { logFileSize: 64 * 1024 });
    await engine.init(inst);
    await (await engine.createDatabase(inst, 'test.edb')).put('k', 'v');
    await engine.term(inst);
    // Recovery fails: the current log is missing.
    fs.rmSync(path.join(root, 'main', 'edb.log'));
    const again = await engine.createInstance('main', { logFileSize: 64 * 1024 });
    expect((await jetErrorOf(engine.init(again))).err).toBe(JET_err.MissingLogFile);
    expect(fs.existsSync(path.join(root, 'main', INSTANCE_LOCK_FILE))).toBe(false);
    const other = await createEmbeddedEngine({ directory: root });
    onTestFinished(() => other.close());
    const third = await other.createInstance('main', { logFileSize: 64 * 1024 });
    expect((await jetErrorOf(other.init(third))).err).toBe(JET_err.MissingLogFile); // not -1083: the lock was free
  });

  it('a lock file that is a symbolic link is refused (-1032), and what it points to is not written', async () => {
    const root = await tempDir();
    fs.mkdirSync(path.join(root, 'main'));
    const elsewhere = path.join(root, 'precious.txt');
    fs.writeFileSync(elsewhere, 'keep me');
    fs.symlinkSync(elsewhere, path.join(root, 'main', INSTANCE_LOCK_FILE));
    const engine = await createEmbeddedEngine({ directory: root });
    onTestFinished(() => engine.close());
    const e = await jetErrorOf(engine.init(await engine.createInstance('main')));
    expect(e.err).toBe(JET_err.FileAccessDenied);
    expect(e.message).toContain('symbolic link');
    expect(fs.readFileSync(elsewhere, 'utf8')).toBe('keep me');
  });

  it('JetRestoreInstance locks its target: a restore into an open instance directory is refused, the instance untouched', async () => {
    const root = await tempDir();
    const engine = await createEmbeddedEngine({ directory: path.join(root, 'engine') });
    onTestFinished(() => engine.close());
    const inst = await engine.createInstance('main', { logFileSize: 64 * 1024 });
    await engine.init(inst);
    const before = fs.readdirSync(path.join(root, 'engine', 'main')).sort();
    const e = await jetErrorOf(engine.restore([path.join(root, 'nothing.edb')], { directory: path.join(root, 'engine', 'main') }));
    expect(e.err).toBe(JET_err.SystemPathInUse);
    expect(e.api).toBe('JetRestoreInstance');
    expect(fs.readdirSync(path.join(root, 'engine', 'main')).sort()).toEqual(before);
    // A restore that fails on its input leaves no lock and no directory it created.
    const target = path.join(root, 'restored');
    expect((await jetErrorOf(engine.restore([path.join(root, 'nothing.edb')], { directory: target }))).err).toBe(JET_err.FileNotFound);
    expect(fs.existsSync(target)).toBe(false);
  });
});
