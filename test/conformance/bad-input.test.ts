// Issue 2 §4 "Bad input": each a JetError with the engine's code, never another exception, never a state change.
// The one exception: an argument of the wrong JavaScript type is a TypeError (or RangeError), raised before the engine.
import path from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { JET_bit, JET_err, JET_instanceNil, jetBackupMethods } from '../../src/jet/index.js';
import type { JetBackupApi, JetBackupMethod, JetInstance } from '../../src/jet/index.js';
import { describeEachBackend } from './backends.js';
import type { Backend } from './backends.js';
import { INVALID_INSTANCE, expectJet, expectMisuse, readToEnd, setup, streamFile } from './helpers.js';

const METHODS = jetBackupMethods;

/** Call `method` with plausible arguments and the given instance. */
function call(api: JetBackupApi, method: JetBackupMethod, inst: JetInstance, file: string): unknown {
  switch (method) {
    case 'beginExternalBackup':
      return api.beginExternalBackup(inst, 0);
    case 'openFile':
      return api.openFile(inst, file);
    case 'readFile':
      return api.readFile(inst, 0n, new Uint8Array(64 * 1024));
    case 'closeFile':
      return api.closeFile(inst, 0n);
    case 'endExternalBackup':
      return api.endExternalBackup(inst, JET_bit.BackupEndNormal);
    case 'stopService':
      return api.stopService(inst, JET_bit.StopServiceAll);
    case 'term':
      return api.term(inst, JET_bit.TermAbrupt);
    default:
      return api[method](inst);
  }
}

/** One live instance with a session open mid-stream: the state nothing may change. */
async function liveSession(backend: Backend) {
  const s = await setup(backend);
  const live = await s.instance('live');
  const dead = await s.instance('dead');
  await s.api.term(dead.inst);
  await s.api.beginExternalBackup(live.inst, 0);
  const [db] = await s.api.getAttachInfo(live.inst);
  const clean = await streamFile(s.api, live.inst, db!, live.readSize);
  const { handle, size } = await s.api.openFile(live.inst, db!);
  const P = live.pageSize;
  const snapshot = () => ({ info: s.engine.instanceInfo(live.inst), last: s.engine.lastBackup(live.inst) });
  const before = snapshot();
  /** Nothing changed: same engine state, and the open file streams the rest of the clean copy from `offset`. */
  const finish = async (offset: number) => {
    expect(snapshot()).toEqual(before);
    const rest = await readToEnd(s.api, live.inst, handle, live.readSize, size - BigInt(offset));
    expect(rest.equals(clean.data.subarray(offset))).toBe(true);
    await s.api.closeFile(live.inst, handle);
    for (const log of await s.api.getLogInfo(live.inst)) await streamFile(s.api, live.inst, log, live.readSize);
    await s.api.endExternalBackup(live.inst, JET_bit.BackupEndNormal);
    expect(s.engine.lastBackup(live.inst)?.end).toBe('normal');
  };
  return { ...s, live, dead, db: db!, handle, size, P, clean, finish };
}

describeEachBackend('$name: bad input (issue 2 §4)', (backend) => {
  it('instances that are not live (0, Nil, terminated, random bigints): -1003 or -1115 on every call', async () => {
    const t = await liveSession(backend);
    const special = fc.constantFrom<bigint>(0n, JET_instanceNil, t.dead.inst, -1n, 1n << 64n, (1n << 64n) - 2n, t.live.inst + 1000n);
    const random = fc.oneof(special, fc.bigInt(), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).filter((b) => b !== t.live.inst);
    await fc.assert(
      fc.asyncProperty(random, fc.constantFrom(...METHODS), async (bad, method) => {
        await expectJet(() => call(t.api, method, bad, t.db), method, INVALID_INSTANCE);
      }),
      { numRuns: 300, seed: 2 },
    );
    await t.finish(0);
  });

  it('unknown grbits: Begin -900, End2 -1003, StopService -900, Term -900; the session and instance live on', async () => {
    const t = await liveSession(backend);
    const withUnknownBits = (known: number) => fc.integer({ min: 0, max: 0xffff_ffff }).filter((g) => (g & ~known) >>> 0 !== 0);
    await fc.assert(
      fc.asyncProperty(withUnknownBits(JET_bit.BackupIncremental), async (g) => {
        await expectJet(() => t.api.beginExternalBackup(t.live.inst, g), 'beginExternalBackup', JET_err.InvalidGrbit);
      }),
      { numRuns: 60, seed: 3 },
    );
    const endOk = new Set([0x1, 0x2, 0x101, 0x102]);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff_ffff }).filter((g) => !endOk.has(g)),
        async (g) => {
          await expectJet(() => t.api.endExternalBackup(t.live.inst, g), 'endExternalBackup', JET_err.InvalidParameter);
        },
      ),
      { numRuns: 60, seed: 4 },
    );
    await fc.assert(
      fc.asyncProperty(withUnknownBits(0x2 | 0x4 | 0x8 | 0x8000_0000), async (g) => {
        await expectJet(() => t.api.stopService(t.live.inst, g), 'stopService', JET_err.InvalidGrbit);
      }),
      { numRuns: 60, seed: 5 },
    );
    await fc.assert(
      fc.asyncProperty(withUnknownBits(0xf), async (g) => {
        await expectJet(() => t.api.term(t.live.inst, g), 'term', JET_err.InvalidGrbit);
      }),
      { numRuns: 60, seed: 6 },
    );
    await t.finish(0);
  });

  it('grbits that are not uint32 (negative, fractional, NaN, 2^32 + 1): the grbit code (or a RangeError/TypeError), never accepted', async () => {
    const t = await liveSession(backend);
    // docs/engine-rules.md: Begin "other than 0 or Incremental" -900, End2 "anything else" -1003; StopService and Term unknown bits -900.
    const refused = async (run: () => unknown, method: JetBackupMethod, err: number) => {
      let caught: unknown = undefined;
      let threw = false;
      try {
        await run();
      } catch (e) {
        caught = e;
        threw = true;
      }
      if (caught instanceof TypeError || caught instanceof RangeError) return;
      await expectJet(() => (threw ? Promise.reject(caught) : undefined), method, err);
    };
    for (const g of [-1, -0x1_0000_0000, 0.5, 1.5, 2 ** 32, 2 ** 32 + 1, 2 ** 32 + 2, 2 ** 40 + 0x101, NaN, Infinity, -Infinity]) {
      await refused(() => t.api.beginExternalBackup(t.live.inst, g), 'beginExternalBackup', JET_err.InvalidGrbit);
      await refused(() => t.api.endExternalBackup(t.live.inst, g), 'endExternalBackup', JET_err.InvalidParameter);
      await refused(() => t.api.term(t.live.inst, g), 'term', JET_err.InvalidGrbit);
      await refused(() => t.api.stopService(t.live.inst, g), 'stopService', JET_err.InvalidGrbit);
    }
    await t.finish(0);
  });

  it('buffers: 0, odd and non-page-multiple lengths, and below 3 pages on the first read, are -1003; the offset stays', async () => {
    const t = await liveSession(backend);
    const bad = fc.integer({ min: 0, max: 12 * t.P }).filter((n) => n % t.P !== 0 || n < 3 * t.P);
    await fc.assert(
      fc.asyncProperty(bad, async (n) => {
        await expectJet(() => t.api.readFile(t.live.inst, t.handle, new Uint8Array(n)), 'readFile', JET_err.InvalidParameter);
      }),
      { numRuns: 100, seed: 8 },
    );
    const first = new Uint8Array(3 * t.P);
    expect(await t.api.readFile(t.live.inst, t.handle, first)).toBe(3 * t.P);
    expect(Buffer.from(first).equals(t.clean.data.subarray(0, 3 * t.P))).toBe(true);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 12 * t.P }).filter((n) => n % t.P !== 0),
        async (n) => {
          await expectJet(() => t.api.readFile(t.live.inst, t.handle, new Uint8Array(n)), 'readFile', JET_err.InvalidParameter);
        },
      ),
      { numRuns: 50, seed: 9 },
    );
    await t.finish(3 * t.P);
  });

  it('a huge buffer reads the rest of the file at once', async () => {
    const t = await liveSession(backend);
    const huge = new Uint8Array(16 * 1024 * 1024);
    expect(await t.api.readFile(t.live.inst, t.handle, huge)).toBe(Number(t.size));
    expect(Buffer.from(huge.subarray(0, Number(t.size))).equals(t.clean.data)).toBe(true);
    expect(await t.api.readFile(t.live.inst, t.handle, huge)).toBe(0);
    await t.finish(Number(t.size));
  });

  it('handles other than 0n (negative, huge, random): Read and Close answer -1003 and the file stays open', async () => {
    const t = await liveSession(backend);
    const handles = fc.oneof(fc.constantFrom(1n, -1n, 1n << 64n, (1n << 64n) - 1n), fc.bigInt()).filter((h) => h !== t.handle);
    await fc.assert(
      fc.asyncProperty(handles, fc.boolean(), async (h, read) => {
        if (read) await expectJet(() => t.api.readFile(t.live.inst, h, new Uint8Array(3 * t.P)), 'readFile', JET_err.InvalidParameter);
        else await expectJet(() => t.api.closeFile(t.live.inst, h), 'closeFile', JET_err.InvalidParameter);
      }),
      { numRuns: 100, seed: 10 },
    );
    await t.finish(0);
  });

  it('paths: empty is -1003; relative, nonexistent, a directory or any other string is -1203 in the database phase', async () => {
    const t = await liveSession(backend);
    await t.api.closeFile(t.live.inst, t.handle);
    await expectJet(() => t.api.openFile(t.live.inst, ''), 'openFile', JET_err.InvalidParameter);
    const fixed = [
      'x',
      'test.edb',
      './test.edb',
      '../test.edb',
      '/',
      '/nonexistent/test.edb',
      t.live.directory,
      `${t.db}.missing`,
      'a\0b',
      ' ',
    ];
    const names = fc.oneof(fc.constantFrom(...fixed), fc.string({ minLength: 1 }), fc.string({ unit: 'grapheme', minLength: 1 }));
    await fc.assert(
      fc.asyncProperty(
        names.filter((name) => path.resolve(name) !== t.db),
        async (name) => {
          await expectJet(() => t.api.openFile(t.live.inst, name), 'openFile', JET_err.DatabaseNotFound);
        },
      ),
      { numRuns: 150, seed: 11 },
    );
    const { handle } = await t.api.openFile(t.live.inst, t.db);
    expect(handle).toBe(t.handle);
    await t.finish(0);
  });

  it('arguments of the wrong JavaScript type are a TypeError, before the engine', async () => {
    const t = await liveSession(backend);
    for (const inst of [1, '1', undefined, null, {}, 1.5] as unknown as JetInstance[]) {
      for (const method of METHODS) await expectMisuse(() => call(t.api, method, inst, t.db));
    }
    for (const handle of [0, '0', undefined, null] as unknown as bigint[]) {
      await expectMisuse(() => t.api.readFile(t.live.inst, handle, new Uint8Array(3 * t.P)));
      await expectMisuse(() => t.api.closeFile(t.live.inst, handle));
    }
    for (const buffer of [undefined, null, 3 * t.P, 'x'.repeat(3 * t.P), new Array(3 * t.P).fill(0)] as unknown as Uint8Array[]) {
      await expectMisuse(() => t.api.readFile(t.live.inst, t.handle, buffer));
    }
    for (const name of [undefined, null, 42, {}] as unknown as string[]) {
      await expectMisuse(() => t.api.openFile(t.live.inst, name));
    }
    await t.finish(0);
  });
});
