import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanOrphans, restoreBackupSet, type OrphanReport, type RestoreFs } from '../../src/backup/index.js';
import { hostTag, parseBackupSetEntry } from '../../src/backup/backup-set-names.js';
import { realRestoreFs } from '../../src/backup/restore-fs.js';
import { createEmbeddedEngine } from '../../src/engine/index.js';
import { committedSet } from './hostile-helpers.js';
import { contents, tempDir } from './helpers.js';

/** The pid of a process that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

describe('restore directories on a directory shared by hosts', () => {
  it('hostTag: a plain host name kept; any other is cut and hashed, so different hosts get different tags', () => {
    expect(hostTag('db-01')).toBe('db-01');
    expect(hostTag('12345')).toBe('12345');
    const fqdn = hostTag('db-01.corp.example');
    expect(fqdn).toMatch(/^db-01_corp_example_[0-9a-f]{8}$/);
    const long = 'a'.repeat(80);
    expect(hostTag(long).length).toBeLessThanOrEqual(40);
    expect(hostTag(`${long}x`)).not.toBe(hostTag(`${long}y`));
    expect(hostTag('db_01')).not.toBe(hostTag('db.01'));
    expect(hostTag('')).toMatch(/^_[0-9a-f]{8}$/);
    for (const host of ['db-01', '12345', fqdn, hostTag('über-host')]) expect(host).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
  });

  it('names of both forms parse: the new one with its host (dashes and digits included), the old one without', () => {
    expect(parseBackupSetEntry('.t.restoring-db-01-4242-0abc')).toEqual({ kind: 'restoring', target: 't', pid: 4242, host: 'db-01' });
    expect(parseBackupSetEntry('.t.restoring-12345-4242-0abc')).toEqual({ kind: 'restoring', target: 't', pid: 4242, host: '12345' });
    expect(parseBackupSetEntry('.t.restoring-4242-0abc')).toEqual({ kind: 'restoring', target: 't', pid: 4242 });
    expect(parseBackupSetEntry('.a.b.restoring-h-1-2-ff')).toEqual({ kind: 'restoring', target: 'a.b', pid: 2, host: 'h-1' });
    expect(parseBackupSetEntry('.t.restoring-db.01-4242-0abc').kind).toBe('other');
    expect(parseBackupSetEntry(`.t.restoring-${'h'.repeat(65)}-4242-0abc`).kind).toBe('other');
  });

  it("clean on host B keeps host A's dead-looking restore (reported) and removes its own and the old form's; host A removes its own", async () => {
    const dir = await tempDir();
    const dead = deadPid();
    const make = (name: string) => {
      const d = path.join(dir, name);
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'test.edb'), 'x');
      return d;
    };
    const ofA = make(`.t1.restoring-${hostTag('host-a')}-${dead}-0a`);
    const ofB = make(`.t2.restoring-${hostTag('host-b')}-${dead}-0b`);
    const oldForm = make(`.t3.restoring-${dead}-0c`);
    const fromB = await cleanOrphans(dir, { hostname: 'host-b' });
    expect(fromB.removed.sort()).toEqual([ofB, oldForm].sort());
    expect(fromB.kept).toEqual([
      {
        path: ofA,
        reason: `restore of another host (host-a, pid ${dead}): this host cannot tell whether it is alive; remove it from that host or once you know it is dead`,
      },
    ]);
    expect(fromB.failed).toEqual([]);
    expect(fs.existsSync(ofA)).toBe(true);
    const fromA = await cleanOrphans(dir, { hostname: 'host-a' });
    expect(fromA).toEqual({ removed: [ofA], kept: [], sessions: [], failed: [] });
  });

  it("a live restore of host A, between its engine's shutdown and its rename (no instance lock held): host B's clean keeps it, the restore completes", async () => {
    const { set, work, db } = await committedSet({ keys: 8 });
    const expected = contents(db);
    const engine = await createEmbeddedEngine({ directory: await tempDir() });
    onTestFinished(() => engine.close());
    const to = path.join(work, 'restored');
    let during: { name: string; report: OrphanReport } | undefined;
    const fsA: RestoreFs = {
      ...realRestoreFs,
      async rename(from, target) {
        during = { name: path.basename(from), report: await cleanOrphans(work, { hostname: 'host-b' }) };
        return realRestoreFs.rename(from, target);
      },
    };
    const restored = await restoreBackupSet(set, { engine, to, fs: fsA, hostname: 'host-a' });
    onTestFinished(() => engine.term(restored.restored.instance));
    expect(during!.name).toMatch(new RegExp(`^\\.restored\\.restoring-host-a-${process.pid}-[0-9a-f]{8}$`));
    expect(during!.report.removed).toEqual([]);
    expect(during!.report.kept).toEqual([
      { path: path.join(work, during!.name), reason: expect.stringMatching(/^restore of another host \(host-a, pid \d+\)/) },
    ]);
    expect(contents(restored.restored.databases[0]!)).toEqual(expected);
    expect(fs.readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
