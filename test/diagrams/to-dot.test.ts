// toDot + renderSvg: Graphviz (WebAssembly) renders every state with an id a page can highlight.
import { describe, expect, it } from 'vitest';
import { chartGraph, renderSvg, toDot } from '../../diagrams/index.js';
import { instanceBackup } from '../../machines/index.js';
import { sampleMachine } from './sample-machine.js';

describe('toDot', () => {
  it('renders offline to SVG with an id per state: nodes for atomic states, clusters for compound ones', async () => {
    for (const machine of [sampleMachine, instanceBackup]) {
      const svg = await renderSvg(toDot(machine));
      expect(svg.startsWith('<svg')).toBe(true);
      for (const [path, state] of chartGraph(machine).states) {
        if (path === '') continue;
        expect(svg, path).toMatch(
          new RegExp(`<g id="state:${path.replace(/\./g, '\\.')}" class="${state.children.length ? 'cluster (region|compound)' : 'node'}"`),
        );
      }
    }
  });

  it('clips edges at compound borders; an edge into its own descendant starts at the state\'s "any" marker', () => {
    const dot = toDot(sampleMachine);
    expect(dot).toContain('"s:idle" -> "any:work" [label="GO\\nGO2\\n[ready]\\n/ log", lhead="cluster:work"]');
    expect(dot).toContain('"any:work" -> "s:idle" [label="ABORT", ltail="cluster:work"]');
    expect(dot).toContain('"any:work.a" -> "s:work.a.a1" [label="RESTART"]');
    expect(dot).toMatch(/"any:work\.a" \[label="any", shape=plaintext/);
    expect(dot).toContain('"s:work.a.a2" [id="state:work.a.a2", label="a2", peripheries=2]');
    expect(dot).toContain('label="H*"');
    expect(dot).toContain('"s:work.a.a1" [id="state:work.a.a1", label="a1\\ninvoke fetcher#load"]');
  });

  it('highlights active states, regions excepted (they are active with their parent)', () => {
    const active = ['backup', 'backup.session', 'backup.session.stop', 'backup.session.stop.stopped', 'call', 'call.idle'];
    const dot = toDot(instanceBackup, { active });
    expect(dot).toMatch(/"s:backup\.session\.stop\.stopped" \[[^\]]*color="#d9480f"/);
    expect(dot).not.toMatch(/"s:backup\.session\.stop\.running" \[[^\]]*color="#d9480f"/);
    expect(dot).toMatch(/id="state:backup\.session"; class="compound"; [^\n]*color="#d9480f"/);
    expect(dot).toMatch(/id="state:backup"; class="region"; [^\n]*color="#868e96"/);
  });

  it('is deterministic', () => {
    expect(toDot(instanceBackup)).toBe(toDot(instanceBackup));
  });

  it('reports Graphviz errors', async () => {
    await expect(renderSvg('digraph { a -> }')).rejects.toThrow(/renderSvg:/);
  });
});
