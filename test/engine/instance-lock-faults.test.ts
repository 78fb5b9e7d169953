import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createEmbeddedEngine } from '../../src/engine/index.js';
import {
  INSTANCE_LOCK_FILE,
  lockInstanceDirectory,
  nodeInstanceLockWrites,
  readInstanceLockHolder,
} from '../../src/engine/instance-lock.js';
import { JET_err, JetError } from '../../src/jet/index.js';
import { contents, putKeys, tempDir } from '../backup/helpers.js';

const holdInstance = fileURLToPath(new URL('./fixtures/hold-instance.ts', import.meta.url));

/** Opens `directory/name` in a child process; resolves once its JetInit returned (then kills it). */
async function openInChild(directory: string, name: string): Promise<void> {
  const proc = spawn(process.execPath, ['--import', 'tsx', holdInstance, directory, name], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => void proc.kill('SIGKILL'));
  let out = '';
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()).includes('HELD') && resolve());
    void exited.then(() => reject(new Error(`the child could not open the instance: ${out}`)));
  });
  proc.kill('SIGKILL');
  await exited;
}

describe('instance lock: a disk that cannot take the lock file', () => {
  for (const call of ['ftruncate', 'write'] as const) {
    for (const code of ['ENOSPC', 'EIO'] as const) {
      it(`${call} of the holder fails with ${code}: JetInit answers ${code === 'ENOSPC' ? '-1808' : '-1022'} naming the lock file, nothing is held, the instance opens afterwards with its data`, async () => {
        const root = await tempDir();
        const engine = await createEmbeddedEngine({ directory: root });
        onTestFinished(() => engine.close());
        const first = await engine.createInstance('main', { logFileSize: 64 * 1024 });
        await engine.init(first);
        const db = await engine.createDatabase(first, 'test.edb');
        await putKeys(db, 0, 30);
        const expected = contents(db);
        await engine.term(first, 0);
        const file = path.join(root, 'main', INSTANCE_LOCK_FILE);
        // A killed holder's file is there too (the kernel dropped its lock): it must not matter.
        fs.writeFileSync(file, JSON.stringify({ pid: 999_999_999, hostname: os.hostname(), since: '2026-01-01T00:00:00.000Z' }));

        const inst = await engine.createInstance('main', { logFileSize: 64 * 1024 });
        await engine.injectFault(inst, { kind: 'instanceLockWrite', call, code });
        const e = await engine.init(inst).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(e).toBeInstanceOf(JetError);
        const err = e as JetError;
        expect(err.api).toBe('JetInit');
        expect(err.err).toBe(code === 'ENOSPC' ? JET_err.DiskFull : JET_err.DiskIO);
        expect(err.message).toContain(file);
        expect(err.message).toContain(`cannot write this process's name into the instance lock file (${code}: injected fault, ${call})`);
        expect(err.message).toContain(code === 'ENOSPC' ? 'free some space and retry' : 'check the disk and retry');
        // Nothing held, nothing half written: the file was removed under the lock.
        expect(fs.existsSync(file)).toBe(false);
        expect(engine.instanceInfo(inst).state).toBe('created');

        // Another process can open it, and then this one (the fault was once), with every key.
        await openInChild(root, 'main');
        await engine.init(inst);
        expect(readInstanceLockHolder(file)).toMatchObject({ pid: process.pid, hostname: os.hostname() });
        expect(contents(await engine.attachDatabase(inst, 'test.edb'))).toEqual(expected);
        await engine.term(inst, 0);
        expect(fs.existsSync(file)).toBe(false);
      }, 30_000);
    }
  }

  it('short writes are completed; a write that makes no progress is -1022, not a silent half lock', async () => {
    const dir = await tempDir();
    const oneByte = {
      ...nodeInstanceLockWrites,
      write: (fd: number, b: Uint8Array, o: number, _l: number, p: number) => nodeInstanceLockWrites.write(fd, b, o, 1, p),
    };
    const lock = lockInstanceDirectory(dir, 'JetInit', oneByte);
    expect(readInstanceLockHolder(lock.file)).toEqual(lock.holder);
    lock.release();
    const stuck = { ...nodeInstanceLockWrites, write: () => 0 };
    expect(() => lockInstanceDirectory(dir, 'JetInit', stuck)).toThrow(
      expect.objectContaining({ err: JET_err.DiskIO, message: expect.stringMatching(/write returned 0 after 0 of \d+ bytes/) }),
    );
    expect(fs.existsSync(path.join(dir, INSTANCE_LOCK_FILE))).toBe(false);
    lockInstanceDirectory(dir, 'JetInit').release(); // free again
  });

  it('the fault can only be armed before JetInit', async () => {
    const root = await tempDir();
    const engine = await createEmbeddedEngine({ directory: root });
    onTestFinished(() => engine.close());
    const inst = await engine.createInstance('main');
    await engine.init(inst);
    await expect(engine.injectFault(inst, { kind: 'instanceLockWrite', call: 'write', code: 'EIO' })).rejects.toThrow(
      'instanceLockWrite: the instance must be created and not yet initialized',
    );
  });
});
