// Issue 2 §3-§4: a backup taken while writers keep writing restores to exactly what was committed
// up to the last backed-up log; a damaged log set does not restore.
import { copyFile, open, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EmbeddedDatabase, EmbeddedEngine } from '../../src/engine/embedded-engine-api.js';
import { JetError } from '../../src/jet/index.js';
import type { JetInstance } from '../../src/jet/index.js';
import { backends } from '../conformance/backends.js';
import { backup, deferCleanup, fullBackup, setupOne, tempDir } from '../conformance/helpers.js';
import type { BackupHooks, BackupResult } from '../conformance/helpers.js';

const embedded = backends.find((backend) => backend.name === 'embedded')!;

/** One write as a writer saw it; `start`/`end` are clock readings when it was called and when it resolved. */
interface Op {
  key: string;
  /** undefined: a delete */
  value: string | undefined;
  start: number;
  end: number;
}

/** A logical clock the backup ticks around GetLogInfo; writers read it. */
class Clock {
  value = 0;
  tick(): number {
    return ++this.value;
  }
}

/** Writers on disjoint keys, each doing one put or delete at a time, until stopped. */
function startWriters(db: EmbeddedDatabase, clock: Clock, writers = 4, keysPerWriter = 24) {
  const ops: Op[] = [];
  let stopped = false;
  let completed = 0;
  let waiters: Array<{ count: number; resolve: () => void }> = [];
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const record = (op: Op) => {
    ops.push(op);
    completed++;
    waiters = waiters.filter((w) => (w.count <= completed ? (w.resolve(), false) : true));
  };
  const runs = Array.from({ length: writers }, async (_, w) => {
    for (let seq = 0; !stopped; seq++) {
      const key = `w${w}-${String(Math.floor(random() * keysPerWriter)).padStart(3, '0')}`;
      const start = clock.value;
      if (random() < 0.2) {
        await db.delete(key);
        record({ key, value: undefined, start, end: clock.value });
      } else {
        const value = `${key}#${seq}:${'v'.repeat(200 + Math.floor(random() * 800))}`;
        await db.put(key, value);
        record({ key, value, start, end: clock.value });
      }
    }
  });
  const control = {
    ops,
    /** Resolves once `n` more writes have completed. */
    more(n: number): Promise<void> {
      const count = completed + n;
      return count <= completed ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async stop(): Promise<void> {
      stopped = true;
      await Promise.all(runs);
    },
  };
  // A failing test must not leave writers running into the engine's close.
  deferCleanup(() => control.stop().catch(() => undefined));
  return control;
}

/**
 * Hooks that keep writers busy during the copy and tick the clock around GetLogInfo. Before GetLogInfo they
 * wait until the log has rolled at least once since Begin (`rolled`), so the checkpoint moves during the copy.
 */
function liveHooks(
  clock: Clock,
  writers: ReturnType<typeof startWriters>,
  marks: { start: number; end: number },
  rolled: () => boolean,
): BackupHooks {
  return {
    afterRead: () => writers.more(1),
    beforeGetLogInfo: async () => {
      await writers.more(5);
      for (let i = 0; !rolled(); i++) {
        expect(i, 'the log never rolled during the copy').toBeLessThan(5000);
        await writers.more(1);
      }
      marks.start = clock.tick();
    },
    afterGetLogInfo: () => {
      marks.end = clock.tick();
    },
  };
}

/**
 * The restored database holds, for every key, a state the writers could have committed by the last copied log:
 * at least everything resolved before GetLogInfo began, nothing started after it returned.
 */
function expectRestored(restored: EmbeddedDatabase, ops: Op[], marks: { start: number; end: number }): void {
  const decoder = new TextDecoder();
  const actual = new Map(restored.entries().map(([key, value]) => [key, decoder.decode(value)]));
  const byKey = new Map<string, Op[]>();
  for (const op of ops) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  for (const key of actual.keys()) expect(byKey.has(key), `restored key ${key} was never written`).toBe(true);
  let certain = 0;
  for (const [key, keyOps] of byKey) {
    let low = -1; // last op surely in the backup
    let high = -1; // last op that may be in it
    keyOps.forEach((op, i) => {
      if (op.end < marks.start) low = i;
      if (op.start < marks.end) high = i;
    });
    const allowed = new Set<string | undefined>();
    for (let i = low; i <= high; i++) allowed.add(i < 0 ? undefined : keyOps[i]!.value);
    if (allowed.size === 1) certain++;
    const got = actual.get(key);
    expect(allowed.has(got), `${key}: restored ${got?.slice(0, 16)}, allowed ${[...allowed].map((v) => v?.slice(0, 16))}`).toBe(true);
  }
  expect(certain).toBeGreaterThan(0);
}

/** Writes that surely made it (resolved during the copy) and surely did not (started after GetLogInfo). */
function expectMeaningful(ops: Op[], marks: { start: number; end: number }, copyStarted: number): void {
  expect(ops.filter((op) => op.start >= copyStarted && op.end < marks.start).length).toBeGreaterThan(0);
  expect(ops.filter((op) => op.start >= marks.end).length).toBeGreaterThan(0);
}

/** Whether the instance's log has rolled since this call. */
function rolledSince(engine: EmbeddedEngine, inst: JetInstance): () => boolean {
  const generation = engine.instanceInfo(inst).currentGeneration;
  return () => engine.instanceInfo(inst).currentGeneration > generation;
}

async function restore(engine: EmbeddedEngine, files: string[]) {
  const restored = await engine.restore(files, { directory: await tempDir('ese-restore-') });
  expect(restored.databases.length).toBe(1);
  return restored;
}

describe('restore after a live backup (issue 2 §3-§4)', () => {
  it('full backup while writers put and delete: nothing committed before GetLogInfo is lost, nothing later appears', async () => {
    const s = await setupOne(embedded, { keys: 0 });
    const clock = new Clock();
    const writers = startWriters(s.db, clock);
    await writers.more(100); // the database grows to a few hundred KiB of pages and logs
    const copyStarted = clock.tick();
    const marks = { start: 0, end: 0 };
    const hooks = liveHooks(clock, writers, marks, rolledSince(s.engine, s.inst));
    const result = await fullBackup(s.api, s.inst, await tempDir(), { readSize: 3 * s.pageSize, hooks });
    expect(result.logInfo.files.length).toBeGreaterThan(1); // the copy range spans the roll
    await writers.more(20);
    await writers.stop();
    expect(s.engine.lastBackup(s.inst)?.end).toBe('normal');
    expectMeaningful(writers.ops, marks, copyStarted);
    const restored = await restore(s.engine, result.files);
    expect([restored.genLow, restored.genHigh]).toEqual([result.logInfo.genLow, result.logInfo.genHigh]);
    expectRestored(restored.databases[0]!, writers.ops, marks);
  });

  it('incremental after a truncating full backup: full db + full logs + incremental logs lose nothing', async () => {
    const s = await setupOne(embedded, { keys: 0 });
    const clock = new Clock();
    const writers = startWriters(s.db, clock);
    await writers.more(100);
    const fullMarks = { start: 0, end: 0 };
    const fullHooks = liveHooks(clock, writers, fullMarks, rolledSince(s.engine, s.inst));
    const full = await fullBackup(s.api, s.inst, await tempDir(), { readSize: 3 * s.pageSize, truncate: true, hooks: fullHooks });
    expect(s.engine.lastBackup(s.inst)).toMatchObject({ end: 'normal', truncated: true });
    await writers.more(150);
    const incStarted = clock.tick();
    const incMarks = { start: 0, end: 0 };
    const incHooks = liveHooks(clock, writers, incMarks, rolledSince(s.engine, s.inst));
    const inc = await backup(s.api, s.inst, await tempDir(), { readSize: s.readSize, incremental: true, hooks: incHooks });
    await writers.more(20);
    await writers.stop();
    expect(s.engine.lastBackup(s.inst)).toMatchObject({ incremental: true, end: 'normal' });
    expect(inc.logInfo.genLow).toBe(full.logInfo.genHigh + 1); // contiguous with the full backup's logs
    expectMeaningful(writers.ops, incMarks, incStarted);

    const fromFull = await restore(s.engine, full.files);
    expectRestored(fromFull.databases[0]!, writers.ops, fullMarks);
    const fromBoth = await restore(s.engine, [...full.files, ...inc.logs]);
    expect([fromBoth.genLow, fromBoth.genHigh]).toEqual([full.logInfo.genLow, inc.logInfo.genHigh]);
    expectRestored(fromBoth.databases[0]!, writers.ops, incMarks);
  });

  it('a damaged log set (a log missing, corrupt or cut short) does not restore: JetError', async () => {
    const s = await setupOne(embedded, { keys: 0 });
    const clock = new Clock();
    const writers = startWriters(s.db, clock);
    await writers.more(100);
    const full: BackupResult = await fullBackup(s.api, s.inst, await tempDir(), { readSize: s.readSize, truncate: true });
    await writers.more(150);
    const inc = await backup(s.api, s.inst, await tempDir(), { readSize: s.readSize, incremental: true });
    await writers.stop();
    const logs = [...full.logs, ...inc.logs];
    expect(logs.length).toBeGreaterThan(2);

    const expectRefused = async (files: string[], what: string) => {
      const error = await s.engine.restore(files, { directory: await tempDir('ese-restore-') }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error instanceof JetError, `${what}: restore answered ${String(error)}`).toBe(true);
    };
    await expectRefused([...full.databases, ...logs.filter((_, i) => i !== 1)], 'a gap in the generations');
    await expectRefused([...full.databases, ...logs.slice(1)], 'the first log (the checkpoint generation) missing');

    const damaged = async (mutate: (file: string) => Promise<void>) => {
      const dir = await tempDir();
      const copies = await Promise.all(
        full.files.concat(inc.logs).map(async (file) => {
          const copy = path.join(dir, path.basename(file));
          await copyFile(file, copy);
          return copy;
        }),
      );
      await mutate(copies[full.databases.length + 1]!);
      return copies;
    };
    const flip = (offset: (size: number) => number) => async (file: string) => {
      const handle = await open(file, 'r+');
      try {
        const at = offset((await stat(file)).size);
        const byte = Buffer.alloc(1);
        await handle.read(byte, 0, 1, at);
        byte[0] = byte[0]! ^ 0x5a;
        await handle.write(byte, 0, 1, at);
      } finally {
        await handle.close();
      }
    };
    await expectRefused(await damaged(flip(() => 100)), 'a log header byte flipped');
    await expectRefused(await damaged(flip(() => 4096 + 16)), 'a log record byte flipped');
    await expectRefused(await damaged(async (file) => truncate(file, (await stat(file)).size / 2)), 'a log cut in half');
    // The intact set still restores.
    await restore(s.engine, [...full.files, ...inc.logs]);
  });
});
