import type { EmbeddedDatabase } from '../src/engine/index.js';

/**
 * Put `sizeMiB` rows of 1 MiB (keys `key-0`…, eight puts in flight) into `db`: the database every
 * throughput bench backs up. The bytes are a fixed pseudo-random pattern, so no layer can compress them.
 *
 * @example
 * await fillBenchDatabase(await engine.createDatabase(inst, 'bench.edb'), 256);
 */
export async function fillBenchDatabase(db: EmbeddedDatabase, sizeMiB: number): Promise<void> {
  const value = new Uint8Array(1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
  for (let i = 0; i < sizeMiB; i += 8)
    await Promise.all(Array.from({ length: Math.min(8, sizeMiB - i) }, (_, j) => db.put(`key-${i + j}`, value)));
}
