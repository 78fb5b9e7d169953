import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assert, expect, onTestFinished } from 'vitest';
import type { EmbeddedDatabase, EmbeddedEngine, InstanceOptions } from '../../src/engine/embedded-engine-api.js';
import { JET_bit, JetApiName, JetError, jetErrName } from '../../src/jet/index.js';
import type { JetBackupApi, JetBackupMethod, JetInstance, JetLogInfo } from '../../src/jet/index.js';
import type { Backend } from './backends.js';

/** What the current test must undo: backends are closed first (an instance may live in any temp dir), then dirs go. */
interface Cleanup {
  closes: Array<() => Promise<void>>;
  dirs: string[];
}

let current: Cleanup | undefined;

function cleanup(): Cleanup {
  if (current === undefined) {
    const c: Cleanup = (current = { closes: [], dirs: [] });
    onTestFinished(async () => {
      current = undefined;
      try {
        for (const close of c.closes.reverse()) await close();
      } finally {
        await Promise.all(c.dirs.map((dir) => rm(dir, { recursive: true, force: true })));
      }
    });
  }
  return current;
}

/** Run `fn` when the current test finishes, before the backends opened earlier are closed (last in, first out). */
export function deferCleanup(fn: () => Promise<void>): void {
  cleanup().closes.push(fn);
}

/** A real temp directory under os.tmpdir(), removed when the current test finishes (after every backend closed). */
export async function tempDir(prefix = 'ese-conf-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  cleanup().dirs.push(dir);
  return dir;
}

/** An opened backend in its own temp directory; closed and removed when the test finishes. */
export interface Session {
  api: JetBackupApi;
  engine: EmbeddedEngine;
  directory: string;
  /** Create, init and fill an instance with one database. */
  instance(name?: string, options?: InstanceSetup): Promise<Instance>;
}

export interface InstanceSetup {
  options?: InstanceOptions;
  /** Keys written before the test (default 48). */
  keys?: number;
  /** Bytes per value (default 2048): 48 x 2 KiB spans two 64 KiB logs. */
  valueSize?: number;
  /** Skip init (the instance stays 'created'). */
  noInit?: boolean;
}

export interface Instance {
  inst: JetInstance;
  db: EmbeddedDatabase;
  pageSize: number;
  /** max(64 KiB, 3 x page size): a legal read size for databases and logs. */
  readSize: number;
  /** The instance's own directory (`<engine directory>/<name>/`). */
  directory: string;
}

let instanceCounter = 0;

/** Open a backend in a fresh temp directory. */
export async function setup(backend: Backend): Promise<Session> {
  const directory = await tempDir();
  const opened = await backend.open(directory);
  cleanup().closes.push(() => opened.close());
  const { api, engine } = opened;
  return {
    api,
    engine,
    directory,
    async instance(name = `inst${++instanceCounter}`, setupOptions: InstanceSetup = {}) {
      const options: InstanceOptions = { logFileSize: 64 * 1024, ...setupOptions.options };
      const inst = await engine.createInstance(name, options);
      const pageSize = options.pageSize ?? 4096;
      const readSize = Math.max(64 * 1024, 3 * pageSize);
      if (setupOptions.noInit) {
        return { inst, db: undefined as unknown as EmbeddedDatabase, pageSize, readSize, directory: path.join(directory, name) };
      }
      await engine.init(inst);
      const db = await engine.createDatabase(inst, 'test.edb');
      await fill(db, setupOptions.keys ?? 48, setupOptions.valueSize ?? 2048);
      return { inst, db, pageSize, readSize, directory: engine.instanceInfo(inst).directory };
    },
  };
}

/** Open a backend and one filled instance: the common case. */
export async function setupOne(backend: Backend, setupOptions: InstanceSetup = {}): Promise<Session & Instance> {
  const session = await setup(backend);
  const instance = await session.instance(undefined, setupOptions);
  return { ...session, ...instance };
}

/** Write `count` keys (`${prefix}NNNN`) of `size` bytes, eight at a time. */
export async function fill(db: EmbeddedDatabase, count: number, size: number, prefix = 'k'): Promise<void> {
  for (let i = 0; i < count; i += 8) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(count, i + 8); j++) {
      const key = `${prefix}${String(j).padStart(4, '0')}`;
      batch.push(db.put(key, valueOf(key, size)));
    }
    await Promise.all(batch);
  }
}

/** A deterministic value for a key. */
export function valueOf(key: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 0x9e3779b9;
  for (const ch of key) x = Math.imul(x ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Await `call` and require a JetError with one of `codes`, raised by the ESE function `method`
 * stands for (an A/W suffix is accepted). Returns the error.
 */
export async function expectJet(call: () => unknown, method: JetBackupMethod, codes: number | readonly number[]): Promise<JetError> {
  const allowed = typeof codes === 'number' ? [codes] : codes;
  const what = allowed.map((c) => jetErrName(c)).join(' or ');
  let caught: unknown = undefined;
  let threw = false;
  try {
    await call();
  } catch (e) {
    caught = e;
    threw = true;
  }
  if (!threw) assert.fail(`${method}: expected ${what}, but the call succeeded`);
  if (!(caught instanceof JetError)) {
    assert.fail(`${method}: expected JetError ${what}, got ${String(caught)} (${(caught as Error)?.constructor?.name})`);
  }
  const e = caught;
  expect(allowed, `${method}: ${e.message}`).toContain(e.err);
  expect(e.code).toBe(jetErrName(e.err));
  expect(e.api).toMatch(new RegExp(`^${JetApiName[method]}[AW]?$`));
  return e;
}

/** -1003, or -1115 (Windows' esent.dll may answer JET_errInvalidInstance for a stale handle). */
export const INVALID_INSTANCE = [-1003, -1115] as const;

/** Await `call` and require a TypeError or RangeError (misuse of the JavaScript API). */
export async function expectMisuse(call: () => unknown): Promise<void> {
  let caught: unknown;
  let threw = false;
  try {
    await call();
  } catch (e) {
    caught = e;
    threw = true;
  }
  expect(threw, 'expected a TypeError, but the call succeeded').toBe(true);
  expect(caught instanceof TypeError || caught instanceof RangeError, `expected TypeError, got ${String(caught)}`).toBe(true);
}

export interface StreamOptions {
  /** Write the streamed bytes here. */
  dest?: string;
  /** Called after each non-empty read (e.g. to let writers run). */
  afterRead?: () => Promise<void> | void;
}

export interface Streamed {
  size: bigint;
  data: Buffer;
}

/** Open, read until 0 bytes, close: what a client does with one file. Asserts bytes streamed = size. */
export async function streamFile(
  api: JetBackupApi,
  inst: JetInstance,
  file: string,
  readSize: number,
  options: StreamOptions = {},
): Promise<Streamed> {
  const { handle, size } = await api.openFile(inst, file);
  const data = await readToEnd(api, inst, handle, readSize, size, options.afterRead);
  await api.closeFile(inst, handle);
  if (options.dest !== undefined) await writeFile(options.dest, data);
  return { size, data };
}

/** Read an open handle until 0 bytes; fails if it streams more than `size` bytes. */
export async function readToEnd(
  api: JetBackupApi,
  inst: JetInstance,
  handle: bigint,
  readSize: number,
  size: bigint,
  afterRead?: () => Promise<void> | void,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const buffer = new Uint8Array(readSize);
  let total = 0;
  for (;;) {
    const n = await api.readFile(inst, handle, buffer);
    if (n === 0) break;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(readSize);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
    total += n;
    if (BigInt(total) > size) assert.fail(`streamed ${total} bytes, more than the size ${size} Open reported`);
    await afterRead?.();
  }
  expect(BigInt(total), 'bytes streamed = size reported by Open').toBe(size);
  return Buffer.concat(chunks);
}

export interface BackupHooks {
  afterRead?: () => Promise<void> | void;
  beforeGetLogInfo?: () => Promise<void> | void;
  afterGetLogInfo?: () => Promise<void> | void;
}

export interface BackupOptions {
  readSize: number;
  incremental?: boolean;
  /** GetTruncateLogInfo + TruncateLog before End. */
  truncate?: boolean;
  hooks?: BackupHooks;
}

export interface BackupResult {
  /** Copies in `dest`. */
  databases: string[];
  logs: string[];
  /** databases then logs: what a restore gets. */
  files: string[];
  sourceDatabases: string[];
  logInfo: JetLogInfo;
  truncateList: string[];
}

/** A client's whole backup session through `api`, copying every file into `dest`. */
export async function backup(api: JetBackupApi, inst: JetInstance, dest: string, options: BackupOptions): Promise<BackupResult> {
  const { readSize, hooks = {} } = options;
  await mkdir(dest, { recursive: true });
  await api.beginExternalBackup(inst, options.incremental ? JET_bit.BackupIncremental : 0);
  const sourceDatabases = options.incremental ? [] : await api.getAttachInfo(inst);
  const databases: string[] = [];
  for (const db of sourceDatabases) {
    const copy = path.join(dest, path.basename(db));
    await streamFile(api, inst, db, readSize, { dest: copy, afterRead: hooks.afterRead });
    databases.push(copy);
  }
  await hooks.beforeGetLogInfo?.();
  const files = await api.getLogInfo(inst);
  await hooks.afterGetLogInfo?.();
  const logInfo = await api.getLogInfo2(inst);
  expect(logInfo.files).toEqual(files);
  const logs: string[] = [];
  for (const log of files) {
    const copy = path.join(dest, path.basename(log));
    await streamFile(api, inst, log, readSize, { dest: copy });
    logs.push(copy);
  }
  let truncateList: string[] = [];
  if (options.truncate) {
    truncateList = await api.getTruncateLogInfo(inst);
    await api.truncateLog(inst);
  }
  await api.endExternalBackup(inst, JET_bit.BackupEndNormal);
  return { databases, logs, files: [...databases, ...logs], sourceDatabases, logInfo, truncateList };
}

/** A full backup (see `backup`). */
export function fullBackup(
  api: JetBackupApi,
  inst: JetInstance,
  dest: string,
  options: Omit<BackupOptions, 'incremental'>,
): Promise<BackupResult> {
  return backup(api, inst, dest, { ...options, incremental: false });
}

/** Names in a directory, sorted. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** Begin, GetLogInfo, End(Abort): makes the engine checkpoint, so every page is on disk. */
export async function checkpoint(api: JetBackupApi, inst: JetInstance): Promise<void> {
  await api.beginExternalBackup(inst, 0);
  await api.getLogInfo(inst);
  await api.endExternalBackup(inst, JET_bit.BackupEndAbort);
}

/** Seeded XOR of every little-endian u32 of `page` but the first (reference §6). */
export function headerChecksum(page: Uint8Array): number {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let x = 0x89abcdef;
  for (let i = 4; i < page.byteLength; i += 4) x ^= view.getUint32(i, true);
  return x >>> 0;
}
