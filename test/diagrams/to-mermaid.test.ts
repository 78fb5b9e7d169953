// toMermaid: structure of the text Mermaid reads (the placement itself is checked in Chromium, mermaid-layout.test.ts).
import { describe, expect, it } from 'vitest';
import { chartGraph, toMermaid } from '../../diagrams/index.js';
import { instanceBackup } from '../../machines/index.js';
import { sampleMachine } from './sample-machine.js';

/** Line index of each `state ... as ID` declaration, and each edge line with its ends. */
function parse(text: string) {
  const lines = text.split('\n');
  const declared = new Map<string, number>();
  const edges: Array<{ line: number; from: string; to: string }> = [];
  lines.forEach((line, i) => {
    const d = /^\s*state "[^"]*" as (\w+)/.exec(line);
    if (d) {
      expect(declared.has(d[1]!), `${d[1]} declared twice`).toBe(false);
      declared.set(d[1]!, i);
    }
    const e = /^\s*(\w+) --> (\w+) :/.exec(line);
    if (e) edges.push({ line: i, from: e[1]!, to: e[2]! });
  });
  return { lines, declared, edges };
}

describe('toMermaid', () => {
  it('declares every state once, in blocks; parallel regions split by --; initial and final as [*]', () => {
    const text = toMermaid(sampleMachine);
    const { declared } = parse(text);
    expect(declared.size).toBe(chartGraph(sampleMachine).states.size);
    expect(text).toMatch(/^stateDiagram-v2\n/);
    expect(text).toContain('state "work" as work {');
    expect(text).toMatch(/\n\s+--\n/);
    expect(text).toContain('[*] --> idle');
    expect(text).toContain('done --> [*]');
    expect(text).toContain('state "H*" as work__a__hist');
  });

  it('labels guards, actions, invokes and targetless transitions', () => {
    const text = toMermaid(sampleMachine);
    expect(text).toContain('idle --> work : GO<br/>GO2 [ready] / log');
    expect(text).toContain('work__a__a1 : invoke fetcher#load');
    expect(text).toContain('work__a__a1 --> work__a__a1 : error: load [not(ready)]');
    expect(text).toContain('idle : PING / log');
    expect(text).toContain('work__b__b1 : entry / log');
    expect(toMermaid(sampleMachine, { actions: false })).toContain('idle --> work : GO<br/>GO2 [ready]\n');
  });

  it('writes each edge before the declaration of any state it names (Mermaid keeps a state where it is last named)', () => {
    for (const machine of [sampleMachine, instanceBackup]) {
      const { declared, edges } = parse(toMermaid(machine));
      expect(edges.length).toBeGreaterThan(5);
      for (const e of edges) {
        for (const end of [e.from, e.to]) expect(e.line, `${e.from} --> ${e.to} after ${end}`).toBeLessThan(declared.get(end)!);
      }
    }
  });

  it('highlights the active leaf states of a snapshot', () => {
    const snapshot = instanceBackup.getInitialSnapshot(null as never, { instance: '1' });
    const text = toMermaid(instanceBackup, { active: snapshot });
    expect(text).toContain('classDef active');
    expect(text).toContain('class backup__noSession__idle,call__idle,latch__off active');
    expect(toMermaid(instanceBackup)).not.toContain('classDef');
  });
});
