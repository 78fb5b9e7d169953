// Model-based, part 1: xstate/graph's shortest path to every state of the chart (over all 24 actions,
// refused ones included), run on the real embedded engine with a STOP injected before every step and
// after the last. On every step the chart's verdict must match the engine's answer (see run-path.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maximalPaths, shortestActionPaths } from './model/model-paths.js';
import { runPath, withStopAt } from './model/run-path.js';
import { engineFixture, type EngineFixture } from './recording-api.js';

const paths = shortestActionPaths();
const runs = maximalPaths(paths);
const CHUNKS = 8;

let fx: EngineFixture;
const probed = new Set<string>();
beforeAll(async () => (fx = await engineFixture('ese-model-')));
afterAll(() => fx.close());

describe('model-based: shortest paths, STOP injected at every step', () => {
  it('reaches every state of the model (paths of up to 18 steps)', () => {
    expect(paths.length).toBeGreaterThan(400);
    expect(Math.max(...paths.map((p) => p.length))).toBeLessThanOrEqual(18);
  });

  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    it(`chart verdict = engine answer on every step, part ${chunk + 1}/${CHUNKS}`, { timeout: 180_000 }, async () => {
      for (const actions of runs.filter((_, i) => i % CHUNKS === chunk)) {
        for (let k = 0; k <= actions.length; k++) await runPath(fx, withStopAt(actions, k), probed);
      }
    });
  }
});
