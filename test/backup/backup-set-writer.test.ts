import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { BackupSetBusyError, BackupSetWriter, runBackup } from '../../src/backup/index.js';
import { nodeBackupFs, type BackupFs } from '../../src/backup/backup-fs.js';
import { engineFixture, tempDir } from './helpers.js';

const instance = { backend: 'embedded', handle: '0x1' };

/** node:fs with every call recorded as `op path`, and an optional hook before each. */
function recordingFs(before?: (op: string, file: string) => void): { fs: BackupFs; calls: string[] } {
  const calls: string[] = [];
  const rec = (op: string, file: string) => {
    calls.push(`${op} ${file}`);
    before?.(op, file);
  };
  return {
    calls,
    fs: {
      async open(file, flags) {
        rec(`open:${flags}`, file);
        const h = await nodeBackupFs.open(file, flags);
        return {
          write: async (b, o, l, p) => (rec('write', file), h.write(b, o, l, p)),
          datasync: async () => (rec('datasync', file), h.datasync()),
          sync: async () => (rec('sync', file), h.sync()),
          close: async () => (rec('close', file), h.close()),
        };
      },
      mkdir: async (dir) => (rec('mkdir', dir), nodeBackupFs.mkdir(dir)),
      lstat: async (file) => (rec('lstat', file), nodeBackupFs.lstat(file)),
      rename: async (from, to) => (rec('rename', `${from} -> ${to}`), nodeBackupFs.rename(from, to)),
      link: async (from, to) => (rec('link', `${from} -> ${to}`), nodeBackupFs.link(from, to)),
      unlink: async (file) => (rec('unlink', file), nodeBackupFs.unlink(file)),
      removeTree: async (dir) => (rec('removeTree', dir), nodeBackupFs.removeTree(dir)),
      readdir: async (dir) => (rec('readdir', dir), nodeBackupFs.readdir(dir)),
      openRead: async (file, flags) => (rec('openRead', file), nodeBackupFs.openRead(file, flags)),
    },
  };
}

describe('BackupSetWriter: durability and destinations', () => {
  it('fsyncs every directory mkdir -p created into its parent, up to the first that existed, and the parent after the rename', async () => {
    const root = await tempDir();
    const to = path.join(root, 'a', 'b', 'c', 'set');
    const { fs: io, calls } = recordingFs();
    const w = await BackupSetWriter.create({ to, mode: 'full', instance, fs: io });
    const mkdirs = calls.filter((c) => c.startsWith('mkdir '));
    expect(mkdirs.slice(0, 3)).toEqual([
      `mkdir ${path.join(root, 'a')}`,
      `mkdir ${path.join(root, 'a', 'b')}`,
      `mkdir ${path.join(root, 'a', 'b', 'c')}`,
    ]);
    const syncs = calls.filter((c) => c.startsWith('sync '));
    expect(syncs).toEqual([`sync ${root}`, `sync ${path.join(root, 'a')}`, `sync ${path.join(root, 'a', 'b')}`]);
    const sink = await w.addFile('x.log', 'log', '/src/x.log', 1);
    await sink.write(new Uint8Array(4096));
    await sink.close();
    calls.length = 0;
    await w.commit({ pageSize: 4096, logGenerations: { low: 1, high: 1 } });
    await w.release();
    const renameAt = calls.findIndex((c) => c.startsWith('rename '));
    expect(renameAt).toBeGreaterThan(0);
    expect(calls.slice(renameAt + 1)).toContain(`sync ${path.dirname(to)}`);
    expect(calls.slice(0, renameAt)).toContain(`sync ${w.paths.temporary}`);
  });

  it('the lock: side file written and fdatasynced before the link, then removed; signed: manifest.sig durable before the rename; release unlinks the lock', async () => {
    const root = await tempDir();
    const to = path.join(root, 'set');
    const { fs: io, calls } = recordingFs();
    const w = await BackupSetWriter.create({ to, mode: 'full', instance, fs: io, signKey: new Uint8Array(16).fill(7) });
    const lock = path.join(root, '.set.lock');
    const side = calls.find((c) => c.startsWith('open:wx '))!.slice('open:wx '.length);
    expect(path.basename(side)).toMatch(/^\.set\.lock\.\d+-\d+$/);
    expect(calls.filter((c) => c.endsWith(side) || c.includes(`${side} ->`))).toEqual([
      `open:wx ${side}`,
      `write ${side}`,
      `datasync ${side}`,
      `close ${side}`,
      `link ${side} -> ${lock}`,
      `unlink ${side}`,
    ]);
    expect(fs.readdirSync(root).sort()).toEqual(['.set.lock', path.basename(w.paths.temporary)]);
    calls.length = 0;
    await w.commit({ pageSize: 4096, logGenerations: { low: 1, high: 1 } });
    const sig = path.join(w.paths.temporary, 'manifest.sig');
    const at = (c: string) => calls.indexOf(c);
    expect(at(`datasync ${sig}`)).toBeGreaterThan(at(`datasync ${path.join(w.paths.temporary, 'manifest.json')}`));
    expect(at(`close ${sig}`)).toBeLessThan(at(`sync ${w.paths.temporary}`));
    expect(at(`sync ${w.paths.temporary}`)).toBeLessThan(calls.findIndex((c) => c.startsWith('rename ')));
    calls.length = 0;
    await w.release();
    expect(calls).toEqual([`unlink ${lock}`]);
    expect(fs.readdirSync(root)).toEqual(['set']);
  });

  it('refuses a symbolic link as the destination, a dangling one too, before taking the lock', async () => {
    const root = await tempDir();
    const to = path.join(root, 'set');
    fs.symlinkSync(path.join(root, 'nowhere'), to);
    await expect(BackupSetWriter.create({ to, mode: 'full', instance })).rejects.toThrow(
      /set .* is a symbolic link \(to .*nowhere\): a set is never written through a link/,
    );
    expect(fs.readdirSync(root)).toEqual(['set']); // no lock, no temporary directory
    fs.rmSync(to);
    fs.mkdirSync(path.join(root, 'real'));
    fs.symlinkSync(path.join(root, 'real'), to);
    await expect(BackupSetWriter.create({ to, mode: 'full', instance })).rejects.toBeInstanceOf(BackupSetBusyError);
  });

  it('checks "already exists" again after taking the lock', async () => {
    const root = await tempDir();
    const to = path.join(root, 'set');
    let looks = 0;
    // Another run commits the name just after the first look.
    const { fs: io } = recordingFs((op, file) => {
      if (op === 'lstat' && file === to && ++looks === 2) fs.mkdirSync(to);
    });
    await expect(BackupSetWriter.create({ to, mode: 'full', instance, fs: io })).rejects.toThrow(`backup set ${to} already exists`);
    expect(looks).toBe(2);
    expect(fs.readdirSync(root)).toEqual(['set']); // the lock was taken back, no temporary directory
  });

  it("a dangling link as runBackup's destination fails the run before Begin", async () => {
    const { engine, inst, work } = await engineFixture();
    const coordinator = createCoordinator({ api: engine });
    onTestFinished(() => coordinator.dispose());
    const to = path.join(work, 'set');
    fs.symlinkSync(path.join(work, 'gone'), to);
    const result = await runBackup({ coordinator, instance: inst, to, mode: 'full' });
    expect(result).toMatchObject({ outcome: 'failed', end: 'none', error: { message: expect.stringContaining('symbolic link') } });
    expect(engine.lastBackup(inst)).toBeUndefined();
  });
});
