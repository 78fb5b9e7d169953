import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCoordinator, type Coordinator } from '../../src/coordinator/index.js';
import { createEmbeddedEngine, type EmbeddedEngine } from '../../src/engine/index.js';
import type { JetBackupApi, JetInstance } from '../../src/jet/index.js';
import { createInspector, createTimeline, type Inspector, type InspectorOptions, type Timeline } from '../../src/inspect/index.js';

/** A real embedded engine with one filled instance, a coordinator over it and an inspector. */
export interface InspectorFixture {
  dir: string;
  engine: EmbeddedEngine;
  inst: JetInstance;
  coordinator: Coordinator;
  timeline: Timeline;
  /** The instance's guarded session, watched by the timeline (refused calls are recorded). */
  backup: JetBackupApi;
  inspector: Inspector;
  close(): Promise<void>;
}

/**
 * Create the fixture in a fresh temp directory; `close` stops everything and removes it, or with
 * `keep` removes only the engine's files and the browser profile (screenshots stay).
 */
export async function inspectorFixture(
  options: Omit<InspectorOptions, 'coordinator' | 'timeline'> & { keep?: boolean; inspection?: boolean } = {},
): Promise<InspectorFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ese-inspect-'));
  const engine = await createEmbeddedEngine({ directory: path.join(dir, 'engine') });
  const inst = await engine.createInstance('inspected', { pageSize: 8192 });
  await engine.init(inst);
  const db = await engine.createDatabase(inst, 'inspected.edb');
  for (let i = 0; i < 64; i++) await db.put(`row-${i}`, `value ${i}`.repeat(40));
  const timeline = createTimeline();
  const coordinator = createCoordinator({ api: engine, ...(options.inspection === false ? {} : { inspect: timeline.inspect }) });
  const backup = timeline.watch(coordinator.session(inst, { facts: { pageSize: 8192 } }));
  const { keep, inspection: _, ...inspectorOptions } = options;
  const inspector = await createInspector({ coordinator, timeline, ...inspectorOptions });
  return {
    dir,
    engine,
    inst,
    coordinator,
    timeline,
    backup,
    inspector,
    async close() {
      await inspector.close();
      coordinator.dispose();
      await engine.close();
      for (const sub of keep ? ['engine', 'chromium-profile'] : ['.']) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
    },
  };
}
