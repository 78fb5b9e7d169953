import type { Actor } from 'xstate';
import { instanceBackup, verdict } from '../../../machines/index.js';
import type { Coordinator } from '../../../src/coordinator/index.js';
import type { JetBackupApi, JetInstance } from '../../../src/jet/index.js';
import type { EngineFixture, RecordingApi } from '../recording-api.js';
import { abstractActions, concreteCall, type PathsOf } from './abstract-action.js';
import { disagreement, invokeCall } from './invoke-call.js';
import { excluded, feed, serializeModelState } from './test-model.js';

/** The two instances of a run and what drives them. */
export interface RunPair {
  a: JetInstance;
  b: JetInstance;
  pathsA: PathsOf;
  pathsB: PathsOf;
  coordinator: Coordinator;
  sessionA: JetBackupApi;
  rec: RecordingApi;
  chartB: Actor<typeof instanceBackup>;
}

/**
 * Every action the chart refuses here (once per abstract state in `probed`), tried on both instances without moving the path: refusals
 * are self-loops, which paths never take. Only refusals the chart says change nothing are tried
 * (a -521 Open in the log phase kills the session, a refused Term2(Complete) arms -523: steps cover those).
 * B: the engine answers the verdict's code and the chart, fed the answer, does not move.
 * A: the coordinator rejects with that code and the backend is not called.
 */
export async function probeRefusals(fx: EngineFixture, run: RunPair, where: () => string, probed: Set<string>): Promise<void> {
  // Refusals depend on the abstract state only (the runner holds the engine to the model's path): once per state.
  const state = serializeModelState({ context: run.chartB.getSnapshot() });
  if (probed.has(state)) return;
  probed.add(state);
  const cursor = { offset: 0 };
  for (const action of abstractActions) {
    if (action === 'STOP') continue;
    const snapB = run.chartB.getSnapshot();
    const callB = concreteCall(action, snapB.context.session, run.pathsB);
    const v = verdict(snapB, callB);
    if (v.kind !== 'refused' || callB.type === 'STOP_BACKUP' || excluded(snapB, action) !== undefined) continue;
    const key = serializeModelState({ context: snapB });
    if (serializeModelState({ context: feed(snapB, callB, { err: v.err }) }) !== key) continue;
    const answer = await invokeCall(fx.engine, run.b, callB, cursor);
    const problem = disagreement(v, answer);
    if (problem) throw new Error(`probe chart/engine: ${where()} then ${action} = ${JSON.stringify(callB)}: ${problem}`);
    if (callB.type !== 'READ_FILE') run.chartB.send(callB);
    run.chartB.send({ type: 'JET_ERROR', call: callB, err: v.err });

    const callA = concreteCall(action, run.coordinator.snapshot(run.a).context.session, run.pathsA);
    const vA = run.coordinator.verdict(run.a, callA);
    if (vA.kind !== 'refused') continue; // A's session took another turn (a kill it prevented)
    const before = run.rec.calls.length;
    const answerA = await invokeCall(run.sessionA, run.a, callA, cursor);
    if (run.rec.calls.length !== before || !('err' in answerA) || answerA.err !== vA.err) {
      throw new Error(
        `probe coordinator: ${where()} then ${action}: refused ${vA.err}, got ${JSON.stringify(answerA)} (backend calls +${run.rec.calls.length - before})`,
      );
    }
  }
}
