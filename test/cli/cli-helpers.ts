import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { openEmbeddedInstance } from '../../src/cli/open-embedded-instance.js';
import { createEmbeddedEngine, type EmbeddedDatabase } from '../../src/engine/index.js';

/** The repository root: the CLI runs from here. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const entry = path.join(repoRoot, 'src', 'cli', 'ese-backup.ts');

/** What a finished CLI run printed and how it ended. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws if it is not). */
  json<T = Record<string, unknown>>(): T;
}

/** A running CLI process: its output so far, a wait for a stderr line, its end. */
export interface CliProcess {
  proc: ChildProcessByStdio<null, Readable, Readable>;
  /** Resolves once stderr holds a line matching `pattern` (rejects if the process ends first). */
  stderrLine(pattern: RegExp): Promise<string>;
  done: Promise<CliResult>;
}

const cleanEnv = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const { FORCE_COLOR: _f, NO_COLOR: _n, ...rest } = process.env;
  return { ...rest, NO_COLOR: '1', ...env };
};

/** Start `ese-backup args…` in a child process (`node --import tsx src/cli/ese-backup.ts`), killed when the test finishes. */
export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: repoRoot,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => void proc.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  const waiting: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiting]) {
      const line = stderr.split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const done = new Promise<CliResult>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, json: <T>() => JSON.parse(stdout) as T }));
  });
  return {
    proc,
    done,
    stderrLine(pattern) {
      const line = stderr.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) return Promise.resolve(line);
      return new Promise((resolve, reject) => {
        waiting.push({ pattern, resolve });
        void done.then((r) =>
          reject(new Error(`ese-backup ended (code ${r.code}, signal ${r.signal}) before a stderr line matched ${pattern}\n${r.stderr}`)),
        );
      });
    },
  };
}

/** `ese-backup backup` of the embedded instance `DIR/instance` into `to`, then `rest` (flags and their values). */
export const backupArgs = (dir: string, instance: string, to: string, ...rest: string[]): string[] => [
  'backup',
  '--engine',
  `embedded:${dir}`,
  '--instance',
  instance,
  '--to',
  to,
  ...rest,
];

/** Run `ese-backup args…` to its end. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** A real temp directory, removed when the current test finishes. */
export async function tempDir(prefix = 'ese-cli-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The key and value of row `i` (values of `size` bytes, `tag` to tell writes apart). */
export const keyOf = (i: number): string => `k${String(i).padStart(5, '0')}`;
export const valueOf = (i: number, size = 1500, tag = ''): string => `${tag}${i}:`.padEnd(size, 'abcdefghijklmnopqrstuvwxyz');

/** Write rows `from … to-1` to `db`, eight at a time. */
export async function putRows(db: EmbeddedDatabase, from: number, to: number, size = 1500, tag = ''): Promise<void> {
  for (let i = from; i < to; i += 8)
    await Promise.all(Array.from({ length: Math.min(8, to - i) }, (_, j) => db.put(keyOf(i + j), valueOf(i + j, size, tag))));
}

/**
 * Create the embedded instance `dir/name` with `test.edb` (64 KiB logs), let `fill` write to it, and
 * close it cleanly: the CLI then opens it with `--engine embedded:dir --instance name`.
 */
export async function makeInstance(dir: string, name: string, fill: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const engine = await createEmbeddedEngine({ directory: dir });
  try {
    const inst = await engine.createInstance(name, { logFileSize: 64 * 1024 });
    await engine.init(inst);
    await fill(await engine.createDatabase(inst, 'test.edb'));
  } finally {
    await engine.close();
  }
}

/**
 * Open the instance `dir/name` (recovered by JetInit, as the CLI does), hand its database `file` to
 * `use`, and close it. Returns what `use` returns.
 */
export async function withInstance<T>(dir: string, name: string, file: string, use: (db: EmbeddedDatabase) => Promise<T> | T): Promise<T> {
  const opened = await openEmbeddedInstance(dir, name);
  try {
    return await use(await opened.engine.attachDatabase(opened.instance, file));
  } finally {
    await opened.close();
  }
}

/** Committed entries as strings, by key. */
export function contents(db: EmbeddedDatabase): Map<string, string> {
  const decoder = new TextDecoder();
  return new Map(db.entries().map(([k, v]) => [k, decoder.decode(v)]));
}

/** The names of the log files of an instance directory. */
export function logFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort();
}

/** Names in a backup directory that belong to runs, not to sets (temporary directories, locks). */
export function runLeftovers(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('.')) : [];
}
