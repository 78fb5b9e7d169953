// Real Mermaid (its own bundle, from node_modules) in real Chromium, offline: every state is drawn
// inside the blocks of its ancestors and of no other block.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineCatalog, toMermaid } from '../../diagrams/index.js';
import { launchChromium, noChromium, type Browser } from '../inspect/chromium.js';
import { sampleMachine } from './sample-machine.js';

type Box = { x: number; y: number; width: number; height: number };

/** The little of the page's globals the test uses (the project compiles without the DOM library). */
interface PageGlobals {
  mermaid: { initialize(options: object): void; render(id: string, text: string): Promise<{ svg: string }> };
  document: {
    getElementById(id: string): {
      innerHTML: string;
      querySelectorAll(selector: string): Iterable<{ id: string; getBoundingClientRect(): { toJSON(): Box } }>;
    } | null;
  };
}

/** Each declared state's parent block, read from the Mermaid text itself. */
function intendedParents(text: string): Map<string, string | null> {
  const parents = new Map<string, string | null>();
  const stack: string[] = [];
  for (const line of text.split('\n')) {
    const d = /^\s*state "[^"]*" as (\w+)( \{)?$/.exec(line);
    if (d) {
      parents.set(d[1]!, stack.at(-1) ?? null);
      if (d[2]) stack.push(d[1]!);
    } else if (/^\s*\}$/.test(line)) {
      stack.pop();
    }
  }
  return parents;
}

const mermaidBundle = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
let dir: string;
let browser: Browser;

describe.skipIf(noChromium !== undefined)(noChromium ?? 'Mermaid keeps every state in its block (Chromium)', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ese-mermaid-'));
    browser = await launchChromium(dir);
    await browser.page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
    await browser.page.addScriptTag({ path: mermaidBundle });
  });
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    ...machineCatalog().map((m) => ({
      name: `diagrams/${m.name}.mmd`,
      text: () => fs.readFileSync(path.join('diagrams', `${m.name}.mmd`), 'utf8'),
    })),
    { name: 'the sample chart (history, invoke, cross-region edges)', text: () => toMermaid(sampleMachine) },
    {
      name: 'a highlighted snapshot',
      text: () => toMermaid(sampleMachine, { active: ['work', 'work.a', 'work.a.a1', 'work.b', 'work.b.b2'] }),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const text = c.text();
      const parents = intendedParents(text);
      const drawn = await browser.page.evaluate(async (source) => {
        const { mermaid, document } = globalThis as unknown as PageGlobals;
        mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
        const { svg } = await mermaid.render(`d${Date.now()}`, source);
        const out = document.getElementById('out')!;
        out.innerHTML = svg;
        const boxes = (selector: string) =>
          [...out.querySelectorAll(selector)].map((g) => ({ id: g.id, box: g.getBoundingClientRect().toJSON() }));
        return { nodes: boxes('g.node'), clusters: boxes('g.statediagram-cluster') };
      }, text);
      expect(browser.offLoopback).toEqual([]);
      const idOf = (domId: string) => /^d\d+-state-(\w+?)-\d+$/.exec(domId)?.[1];
      const clusters = new Map(
        drawn.clusters.flatMap((c) => (idOf(c.id) && parents.has(idOf(c.id)!) ? [[idOf(c.id)!, c.box] as const] : [])),
      );
      const center = (b: Box) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });
      const inside = (p: { x: number; y: number }, b: Box) => p.x >= b.x && p.x <= b.x + b.width && p.y >= b.y && p.y <= b.y + b.height;
      const ancestors = (id: string) => {
        const out: string[] = [];
        for (let p = parents.get(id); p; p = parents.get(p)) out.push(p);
        return out;
      };
      let checked = 0;
      const contains = (outer: Box, inner: Box) =>
        inner.x >= outer.x - 1 &&
        inner.y >= outer.y - 1 &&
        inner.x + inner.width <= outer.x + outer.width + 1 &&
        inner.y + inner.height <= outer.y + outer.height + 1;
      const shapes = [
        ...drawn.nodes.map((n) => [idOf(n.id), n.box, false] as const),
        ...[...clusters].map(([id, box]) => [id, box, true] as const),
      ];
      for (const [id, box, block] of shapes) {
        if (id === undefined || !parents.has(id)) continue;
        const mine = ancestors(id);
        // A state is inside a block when its center is (a block: when all of it is).
        const holders = [...clusters]
          .filter(([cid, cbox]) => cid !== id && (block ? contains(cbox, box) : inside(center(box), cbox)))
          .map(([cid]) => cid)
          .sort();
        expect(holders, `${id} must be drawn inside ${mine.join(' < ') || 'no block'}`).toEqual([...mine].sort());
        checked++;
      }
      expect(checked).toBe(parents.size);
    });
  }
});
