// Property-based: random call sequences with random stops, bad handles and bad sizes on several
// instances at once, through the coordinator over the real engine.
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCoordinator, shutdownHook } from '../../src/coordinator/index.js';
import { JET_bit, JetError, type JetBackupMethod, type JetInstance } from '../../src/jet/index.js';
import { abstractActions, concreteCall, type AbstractAction, type PathsOf } from './model/abstract-action.js';
import { disagreement, invokeCall } from './model/invoke-call.js';
import { engineFixture, recordingApi, type EngineFixture } from './recording-api.js';
import { seedLabel, testSeed } from '../support/test-seed.js';

/** Instance calls (Term, StopService) are left out: they are not backup progress and end the instance. */
const actions = abstractActions.filter((a) => !['TERM', 'TERM_COMPLETE', 'STOP_SERVICE'].includes(a));
type Step = AbstractAction | 'STOP_ALL';
/** Weighted toward the calls that build a session, so that sessions get deep enough to stop. */
const progress: AbstractAction[] = [
  'BEGIN',
  'GET_ATTACH_INFO',
  'OPEN_DB',
  'READ',
  'CLOSE',
  'GET_LOG_INFO',
  'OPEN_LOG',
  'READ',
  'CLOSE',
  'END_NORMAL',
];
const step = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...actions) },
  { weight: 10, arbitrary: fc.constantFrom(...progress) },
  { weight: 1, arbitrary: fc.constant<Step>('STOP_ALL') },
);
const afterStop = new Set<JetBackupMethod>(['closeFile', 'endExternalBackup', 'stopBackup']);
const methodOf: Record<string, JetBackupMethod> = {
  BEGIN_EXTERNAL_BACKUP: 'beginExternalBackup',
  GET_ATTACH_INFO: 'getAttachInfo',
  OPEN_FILE: 'openFile',
  READ_FILE: 'readFile',
  CLOSE_FILE: 'closeFile',
  GET_LOG_INFO: 'getLogInfo',
  GET_TRUNCATE_LOG_INFO: 'getTruncateLogInfo',
  TRUNCATE_LOG: 'truncateLog',
  END_EXTERNAL_BACKUP: 'endExternalBackup',
};

let fx: EngineFixture;
let runs = 0;
/** How often the interesting cases came up, so the property cannot pass vacuously. */
const seen = { callsAfterStop: 0, forwarded: 0, refused: 0, stoppedSessions: 0 };
beforeAll(async () => (fx = await engineFixture('ese-prop-')));
afterAll(() => fx.close());

const seed = testSeed();

it(
  `no exception but JetError; nothing but Close/End/Stop reaches the backend after a stop; verdicts hold; the shutdown hook leaves no session open (${seedLabel(seed)})`,
  { timeout: 180_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(step, { maxLength: 30 }), { minLength: 2, maxLength: 4 }), async (plans) => {
        const id = ++runs;
        const insts = await Promise.all(plans.map((_, i) => fx.instance(`p${id}-${i}`, { keys: 2 })));
        const dirs = insts.map((inst) => fx.engine.instanceInfo(inst).directory);
        const rec = recordingApi(fx.engine);
        const c = createCoordinator({ api: rec });
        const paths = (inst: JetInstance, dir: string): PathsOf => ({
          database: fx.engine.instanceInfo(inst).databases[0]!,
          someLog: () => path.join(dir, 'edb00001.log'),
          other: path.join(dir, 'other.log'),
        });
        const callsOf = (inst: JetInstance) => rec.calls.filter((r) => r.inst === inst);
        try {
          await Promise.all(
            plans.map(async (plan, i) => {
              const inst = insts[i]!;
              const session = c.session(inst);
              const cursor = { offset: 0 };
              for (const s of plan) {
                if (s === 'STOP_ALL') {
                  c.stopAll('property');
                  continue;
                }
                const call = concreteCall(s, c.snapshot(inst).context.session, paths(inst, dirs[i]!));
                if (call.type === 'STOP_BACKUP') {
                  c.stop(inst, 'property');
                  continue;
                }
                const stopped = (c.snapshot(inst).value as { backup: { session?: { stop: string } } }).backup.session?.stop === 'stopped';
                const v = c.verdict(inst, call);
                const before = callsOf(inst).length;
                const answer = await invokeCall(session, inst, call, cursor); // rethrows anything but a JetError
                // A stop from another instance's STOP_ALL may land meanwhile: it is not this call.
                const reached = callsOf(inst)
                  .slice(before)
                  .filter((r) => r.method !== 'stopBackup');
                if (stopped)
                  expect(
                    reached.filter((r) => !afterStop.has(r.method)),
                    `after a stop: ${s}`,
                  ).toEqual([]);
                if (stopped && !afterStop.has(methodOf[call.type]!))
                  expect(answer, `after a stop: ${s}`).toMatchObject({ err: expect.any(Number) });
                seen.callsAfterStop += stopped ? 1 : 0;
                seen[v.kind === 'refused' ? 'refused' : 'forwarded'] += 1;
                if (v.kind === 'refused') expect(reached, `refused ${s} reached the backend`).toEqual([]);
                else expect(disagreement(v, answer), `${s}: ${JSON.stringify(call)}`).toBeUndefined();
              }
            }),
          );
          const target = new EventEmitter();
          const hook = shutdownHook({ coordinator: c, graceMs: 10_000, target, platform: 'linux' });
          target.emit('SIGTERM');
          expect(await hook.exitCode).toBe(0);
          hook.dispose();
          for (const inst of insts) {
            const last = fx.engine.lastBackup(inst);
            expect(last === undefined || last.end !== undefined, 'a session is still open after the shutdown hook').toBe(true);
            expect(rec.count('stopBackup', inst)).toBeLessThanOrEqual(rec.count('beginExternalBackup', inst));
            seen.stoppedSessions += rec.count('stopBackup', inst);
          }
        } catch (e) {
          if (e instanceof JetError) throw new Error(`a JetError escaped the property: ${e.message}`, { cause: e });
          throw e;
        } finally {
          c.dispose();
          for (const inst of insts) await fx.engine.term(inst, JET_bit.TermAbrupt).catch(() => {});
          for (const dir of dirs) await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 300, seed },
    );
    expect(seen.callsAfterStop).toBeGreaterThan(100);
    expect(seen.forwarded).toBeGreaterThan(300);
    expect(seen.stoppedSessions).toBeGreaterThan(50);
  },
);
