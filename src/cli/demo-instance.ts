import fs from 'node:fs';
import path from 'node:path';
import { createEmbeddedEngine, type EmbeddedDatabase, type EmbeddedEngine } from '../engine/index.js';
import { DEMO_ROW_BYTES, demoRowValue } from './demo-row-value.js';
import type { OpenedInstance } from './engine-spec.js';
import { openEmbeddedInstance } from './open-embedded-instance.js';

/** The demo's instance `DIR/demo`, its database and the rows it holds. */
export interface DemoInstance {
  engine: EmbeddedEngine;
  opened: OpenedInstance;
  db: EmbeddedDatabase;
  /** Rows `row-0 …` (values: `demoRowValue`). */
  rows: number;
  /** Whether this run created the instance (or reopened one from an earlier run). */
  created: boolean;
  /** Seconds spent writing rows. */
  fillSeconds: number;
}

/**
 * Opens (after a demo run with the same `--dir`: JetInit recovers it) or creates the embedded
 * instance `root/demo` with the database `demo.edb`, and writes 64 KiB rows until it holds `sizeMiB`.
 *
 * @example
 * const demo = await openDemoInstance('/tmp/d', 256); // DIR/demo, about 256 MiB
 */
export async function openDemoInstance(root: string, sizeMiB: number): Promise<DemoInstance> {
  const existing = fs.existsSync(path.join(root, 'demo'));
  let engine: EmbeddedEngine;
  let opened: OpenedInstance;
  let db: EmbeddedDatabase;
  if (existing) {
    const o = await openEmbeddedInstance(root, 'demo');
    engine = o.engine;
    opened = o;
    db = await engine.attachDatabase(o.instance, 'demo.edb');
  } else {
    engine = await createEmbeddedEngine({ directory: root });
    const instance = await engine.createInstance('demo');
    await engine.init(instance);
    db = await engine.createDatabase(instance, 'demo.edb');
    opened = {
      api: engine,
      instance,
      name: 'demo',
      description: `embedded:${path.join(root, 'demo')}`,
      facts: { recovery: true, circularLogging: false, pageSize: 4096 },
      close: () => engine.close(),
    };
  }
  const rows = Math.max(1, Math.ceil((sizeMiB * 1024 * 1024) / DEMO_ROW_BYTES));
  const t0 = performance.now();
  for (let i = 0; i < rows; i += 16) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(rows, i + 16); j++) if (!db.get(`row-${j}`)) batch.push(db.put(`row-${j}`, demoRowValue(j)));
    await Promise.all(batch);
  }
  return { engine, opened, db, rows, created: !existing, fillSeconds: (performance.now() - t0) / 1000 };
}
