// Model-based, part 2: xstate/graph's simple paths (no state twice) of up to DEPTH steps over the
// actions of a session, run on the real embedded engine with a STOP injected before every step and
// after the last. On every step the chart's verdict must match the engine's answer (see run-path.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maximalPaths, simpleActionPaths } from './model/model-paths.js';
import { runPath, withStopAt } from './model/run-path.js';
import { engineFixture, type EngineFixture } from './recording-api.js';

/** The depth of the simple paths: 8 steps, then STOP inserted (9 calls per run). */
const DEPTH = 8;
const paths = simpleActionPaths(DEPTH);
const runs = maximalPaths(paths);
const CHUNKS = 12;

let fx: EngineFixture;
const probed = new Set<string>();
beforeAll(async () => (fx = await engineFixture('ese-model-')));
afterAll(() => fx.close());

describe(`model-based: simple paths up to depth ${DEPTH}, STOP injected at every step`, () => {
  it('covers every session path of up to 8 steps', () => {
    expect(paths.length).toBeGreaterThan(800);
    expect(paths.every((p) => p.length <= DEPTH)).toBe(true);
    expect(paths.filter((p) => p.length === DEPTH).length).toBeGreaterThan(0);
  });

  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    it(`chart verdict = engine answer on every step, part ${chunk + 1}/${CHUNKS}`, { timeout: 180_000 }, async () => {
      for (const actions of runs.filter((_, i) => i % CHUNKS === chunk)) {
        for (let k = 0; k <= actions.length; k++) await runPath(fx, withStopAt(actions, k), probed);
      }
    });
  }
});
