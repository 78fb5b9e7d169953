import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createActor, type SnapshotFrom } from 'xstate';
import { instanceBackup, verdict, type BackupOutcome, type JetCall, type JetCallDone } from '../../../machines/index.js';
import { createCoordinator } from '../../../src/coordinator/index.js';
import type { EngineBackupEnd } from '../../../src/engine/index.js';
import { JET_bit, type JetInstance } from '../../../src/jet/index.js';
import { recordingApi, type EngineFixture } from '../recording-api.js';
import { concreteCall, type AbstractAction, type PathsOf } from './abstract-action.js';
import { disagreement, invokeCall, type Answer } from './invoke-call.js';
import { fixtureFacts, modelStart, modelStep, serializeModelState } from './test-model.js';
import { probeRefusals } from './probe-refusals.js';

type Chart = SnapshotFrom<typeof instanceBackup>;
let runs = 0;

/** How the engine records a session the chart saw end with `outcome` (killed: the engine ended it). */
function engineEnd(outcome: BackupOutcome, killed: boolean): EngineBackupEnd {
  if (killed) return 'killed';
  if (outcome.kind === 'stoppedByServer') return 'abortedByServer';
  if (outcome.kind === 'abortedByCaller') return 'abortedByCaller';
  return 'normal'; // completed, or End(Normal) of an incomplete copy: the engine cannot tell
}

const key = (s: Chart) => serializeModelState({ context: s });

/**
 * Run `actions` on two fresh instances of the real engine and check every step:
 * - B, driven raw (every call forwarded), with a chart fed the real answers: the chart's verdict
 *   before each call agrees with the engine's answer, and each ended session's outcome with the
 *   engine's record;
 * - A, through the coordinator over a recording wrapper: refused calls reject with the verdict's code
 *   and never reach the backend; forwarded ones agree with the verdict; A's chart tracks B's until a
 *   refusal that B's engine acted on (a kill the coordinator prevented).
 * Throws on the first disagreement, naming the path and the step.
 */
export async function runPath(fx: EngineFixture, actions: readonly AbstractAction[], probed = new Set<string>()): Promise<void> {
  const id = ++runs;
  const [a, b] = [await fx.instance(`a${id}`, { keys: 1 }), await fx.instance(`b${id}`, { keys: 1 })];
  const pathsOf = (inst: JetInstance): PathsOf => {
    const info = fx.engine.instanceInfo(inst);
    const someLog = () => {
      const gen = fx.engine.lastBackup(inst)?.genCopyMin ?? fx.engine.instanceInfo(inst).logGenerations[0] ?? 1;
      return path.join(info.directory, `edb${gen.toString(16).toUpperCase().padStart(5, '0')}.log`);
    };
    return { database: info.databases[0]!, someLog, other: path.join(info.directory, 'other.log') };
  };
  const [pathsA, pathsB] = [pathsOf(a), pathsOf(b)];
  const dirs = [a, b].map((inst) => fx.engine.instanceInfo(inst).directory);
  const rec = recordingApi(fx.engine);
  const coordinator = createCoordinator({ api: rec });
  const sessionA = coordinator.session(a, { facts: fixtureFacts });
  let stopsB = 0;
  const chartB = createActor(instanceBackup.provide({ actions: { stopBackup: () => void (stopsB++, fx.engine.stopBackup(b)) } }), {
    input: { instance: String(b), facts: fixtureFacts },
  }).start();
  const cursorA = { offset: 0 };
  const cursorB = { offset: 0 };
  let diverged = false;
  let model = modelStart;
  const where = (i: number, call: JetCall) => `path [${actions.join(' ')}] step ${i} (${actions[i]} = ${JSON.stringify(call)})`;
  try {
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i]!;
      await probeRefusals(
        fx,
        { a, b, pathsA, pathsB, coordinator, sessionA, rec, chartB },
        () => where(i, { type: 'STOP_BACKUP' }),
        probed,
      );
      // B: the chart against the engine, every call forwarded.
      const before = chartB.getSnapshot();
      const callB = concreteCall(action, before.context.session, pathsB);
      const vB = verdict(before, callB);
      let answerB: Answer;
      if (callB.type === 'STOP_BACKUP') {
        const stops = stopsB;
        if (vB.kind === 'refused') answerB = await invokeCall(fx.engine, b, callB, cursorB);
        else {
          chartB.send(callB);
          // The chart calls the engine only to stop a session; elsewhere a stop has no lasting effect.
          answerB = stopsB > stops ? { ok: {} } : await invokeCall(fx.engine, b, callB, cursorB);
        }
      } else {
        if (callB.type !== 'READ_FILE') chartB.send(callB);
        answerB = await invokeCall(fx.engine, b, callB, cursorB);
        chartB.send(
          'err' in answerB
            ? { type: 'JET_ERROR', call: callB, err: answerB.err }
            : ({ type: `${callB.type}.DONE`, ...answerB.ok } as JetCallDone),
        );
      }
      const problem = disagreement(vB, answerB);
      if (problem) throw new Error(`chart/engine: ${where(i, callB)}: ${problem}`);
      const after = chartB.getSnapshot();
      if (vB.kind === 'refused' && key(after) !== key(before)) diverged = true; // the engine acted on a refusal
      model = modelStep(model, action);
      if (key(model) !== key(after))
        throw new Error(`drift: ${where(i, callB)}: the engine left the model's path: model ${key(model)}, engine ${key(after)}`);
      const ended = after.context.outcome !== null && (before.context.outcome === null || before.context.session?.open === true);
      if (ended && callB.type !== 'TERM') {
        const expected = engineEnd(after.context.outcome!, after.matches({ backup: { noSession: 'killed' } }));
        const got = fx.engine.lastBackup(b)?.end;
        if (got !== expected)
          throw new Error(
            `outcome: ${where(i, callB)}: chart ${JSON.stringify(after.context.outcome)} (engine should record ${expected}), engine recorded ${got}`,
          );
      }

      // A: the coordinator over the same engine.
      const callA = concreteCall(action, coordinator.snapshot(a).context.session, pathsA);
      if (callA.type === 'STOP_BACKUP') {
        coordinator.stop(a);
      } else {
        const vA = coordinator.verdict(a, callA);
        const reached = rec.calls.length;
        const answerA = await invokeCall(sessionA, a, callA, cursorA);
        const wasReached = rec.calls.length > reached;
        if (vA.kind === 'refused') {
          if (wasReached || !('err' in answerA) || answerA.err !== vA.err)
            throw new Error(
              `coordinator: ${where(i, callA)}: refused ${vA.err}, but ${wasReached ? 'the backend was called' : `answered ${JSON.stringify(answerA)}`}`,
            );
        } else {
          const p = wasReached ? disagreement(vA, answerA) : 'a forwarded call did not reach the backend';
          if (p) throw new Error(`coordinator/engine: ${where(i, callA)}: ${p}`);
        }
      }
      if (!diverged && key(coordinator.snapshot(a)) !== key(chartB.getSnapshot())) {
        throw new Error(`coordinator chart: ${where(i, callA)}: ${key(coordinator.snapshot(a))} != ${key(chartB.getSnapshot())}`);
      }
    }
    // One backend stop per session at most.
    const sessions = rec.count('beginExternalBackup', a);
    if (rec.count('stopBackup', a) > sessions)
      throw new Error(`path [${actions.join(' ')}]: ${rec.count('stopBackup', a)} stops for ${sessions} Begin calls`);
  } finally {
    coordinator.dispose();
    chartB.stop();
    for (const inst of [a, b]) await fx.engine.term(inst, JET_bit.TermAbrupt).catch(() => {});
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}

/** `actions` with STOP inserted before step `k` (k = actions.length: after the last step). */
export function withStopAt(actions: readonly AbstractAction[], k: number): AbstractAction[] {
  return [...actions.slice(0, k), 'STOP', ...actions.slice(k)];
}
