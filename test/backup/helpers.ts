import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { createEmbeddedEngine } from '../../src/engine/index.js';
import type { EmbeddedDatabase, EmbeddedEngine, InstanceOptions } from '../../src/engine/embedded-engine-api.js';
import type { JetInstance } from '../../src/jet/index.js';

export { eseRealDir, eseRealFiles, goodDatabases, readEseReal, seeded } from '../engine/format/ese-fixtures.js';

/** A real temp directory, removed when the current test finishes. */
export async function tempDir(prefix = 'ese-backup-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An embedded engine with one initialized instance and one database, closed when the test finishes. */
export interface EngineFixture {
  engine: EmbeddedEngine;
  inst: JetInstance;
  db: EmbeddedDatabase;
  /** A directory for backup sets and restores (not the engine's). */
  work: string;
}

/** Create the engine, an instance (64 KiB logs unless told) and `test.edb` with `keys` keys. */
export async function engineFixture(
  options: { instance?: InstanceOptions; keys?: number; valueSize?: number } = {},
): Promise<EngineFixture> {
  const root = await tempDir();
  const engine = await createEmbeddedEngine({ directory: path.join(root, 'engine') });
  onTestFinished(() => engine.close());
  const inst = await engine.createInstance('main', { logFileSize: 64 * 1024, ...options.instance });
  await engine.init(inst);
  const db = await engine.createDatabase(inst, 'test.edb');
  await putKeys(db, 0, options.keys ?? 40, options.valueSize ?? 1500);
  const work = path.join(root, 'work');
  fs.mkdirSync(work);
  return { engine, inst, db, work };
}

/** Write keys `k<from>..k<to-1>` with deterministic values, eight at a time. */
export async function putKeys(db: EmbeddedDatabase, from: number, to: number, size = 1500, tag = ''): Promise<void> {
  for (let i = from; i < to; i += 8) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(to, i + 8); j++) batch.push(db.put(keyOf(j), valueOf(j, size, tag)));
    await Promise.all(batch);
  }
}

/** The key name of number `i`. */
export const keyOf = (i: number): string => `k${String(i).padStart(5, '0')}`;

/** A deterministic value for key number `i`. */
export function valueOf(i: number, size: number, tag = ''): string {
  const head = `${tag}${i}:`;
  return head + 'abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil(size / 26)).slice(0, Math.max(0, size - head.length));
}

/** The database's committed entries as strings. */
export function contents(db: EmbeddedDatabase): Map<string, string> {
  const decoder = new TextDecoder();
  return new Map(db.entries().map(([k, v]) => [k, decoder.decode(v)]));
}

/** Flip bit `bit` of byte `offset` of a file in place. */
export function flipBit(file: string, offset: number, bit: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, offset);
    b[0]! ^= 1 << bit;
    fs.writeSync(fd, b, 0, 1, offset);
  } finally {
    fs.closeSync(fd);
  }
}
