import type { EmbeddedDatabase } from '../engine/index.js';

/** A writer committing rows one after another while a backup runs. */
export interface DemoWriter {
  /** Rows committed so far (their `put` resolved: durable in the log). */
  readonly committed: number;
  /** The key and value of the writer's row `i`. */
  keyOf(i: number): string;
  valueOf(i: number): string;
  /** Stop writing; resolves once the last write settled. */
  stop(): Promise<void>;
}

/**
 * Starts a writer that keeps committing small rows (`live-<tag>-<i>`) to `db`, one at a time, so that
 * at any moment rows `0 … committed − 1` are durable. The demo notes `committed` when the log phase
 * begins: every one of those rows must come back from the backup.
 *
 * @example
 * const writer = startDemoWriter(db, 'k3f9'); …; const before = writer.committed; await writer.stop();
 */
export function startDemoWriter(db: EmbeddedDatabase, tag: string): DemoWriter {
  let committed = 0;
  let running = true;
  const keyOf = (i: number) => `live-${tag}-${String(i).padStart(7, '0')}`;
  const valueOf = (i: number) => `written while the backup ran, #${i} of run ${tag}`.padEnd(256, '.');
  const loop = (async () => {
    for (let i = 0; running; i++) {
      await db.put(keyOf(i), valueOf(i));
      committed = i + 1;
    }
  })();
  return {
    get committed() {
      return committed;
    },
    keyOf,
    valueOf,
    async stop() {
      running = false;
      await loop;
    },
  };
}
