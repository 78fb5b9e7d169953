import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { createEmbeddedEngine, type EmbeddedEngine, type InstanceOptions } from '../../src/engine/index.js';
import { createEsentBackend, type EsentBackend } from '../../src/esent/index.js';
import type { JetInstance } from '../../src/jet/index.js';
import { fill } from '../conformance/helpers.js';
import { buildEsentShim, compilerMissing } from '../native/build-esent-shim.js';
import { startEsentShimHost, type ShimHooks, type ShimHost } from '../native/esent-shim-host.js';

/** Why these tests cannot run (no C compiler), or undefined. */
export const noCompiler = compilerMissing();
if (noCompiler) console.warn(`test/esent: skipping the native-library tests: ${noCompiler}`);

/** The koffi backend over the shim, the engine behind it, and the shim host's record of calls. */
export interface NativeSession {
  api: EsentBackend;
  engine: EmbeddedEngine;
  host: ShimHost;
  directory: string;
}

/** A real temp directory, removed when the test finishes. */
export async function tempDirectory(prefix = 'ese-ffi-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Open the engine, the shim host (with `hooks`) and the backend; all closed when the test finishes. */
export async function openNative(hooks?: ShimHooks, library = buildEsentShim()): Promise<NativeSession> {
  const directory = await tempDirectory();
  const engine = await createEmbeddedEngine({ directory });
  const host = startEsentShimHost(engine, { library, ...(hooks ? { hooks } : {}) });
  onTestFinished(async () => {
    host.close();
    await engine.close();
  });
  return { api: createEsentBackend({ library: host.library }), engine, host, directory };
}

/** Create, init and fill an instance with one database (`keys` values of 2 KiB). */
export async function filledInstance(
  engine: EmbeddedEngine,
  name: string,
  database = 'test.edb',
  keys = 24,
  options: InstanceOptions = {},
): Promise<JetInstance> {
  const inst = await engine.createInstance(name, { logFileSize: 64 * 1024, ...options });
  await engine.init(inst);
  const db = await engine.createDatabase(inst, database);
  await fill(db, keys, 2048);
  return inst;
}

/** max(64 KiB, 3 pages) for the default 4 KiB page. */
export const READ_SIZE = 64 * 1024;
