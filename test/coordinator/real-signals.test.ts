// Real signals: a child process with a coordinator, a shutdown hook and two running backups.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./fixtures/signal-child.ts', import.meta.url));

interface Report {
  received: number;
  code: number;
  signal: string;
  stops: number[];
  begins: number[];
  ends: Array<string | null>;
  before: Record<string, number>;
  during: Record<string, number>;
  after: Record<string, number>;
}

/**
 * Start the child, wait for "ready", run `send` (with `seen`: resolves once the child printed that its
 * first signal arrived), and collect its report and exit code.
 */
async function run(
  readDelayMs: number,
  send: (kill: (s: NodeJS.Signals) => void, seen: () => Promise<void>) => Promise<void> | void,
): Promise<{ report: Report; exitCode: number | null; signal: string | null }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ese-signal-'));
  try {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, String(readDelayMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stderr.on('data', (d) => (err += d));
    const exited = new Promise<[number | null, string | null]>((r) => proc.on('exit', (code, signal) => r([code, signal])));
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d) => {
        out += d;
        if (out.includes('ready\n')) resolve();
      });
      proc.on('exit', () => reject(new Error(`child exited before ready: ${err}`)));
    });
    const seen = () =>
      new Promise<void>((resolve, reject) => {
        const check = () => out.includes('signal seen\n') && resolve();
        proc.stdout.on('data', check);
        check();
        void exited.then(() =>
          out.includes('signal seen\n') ? resolve() : reject(new Error(`child exited before it saw a signal: ${err}`)),
        );
      });
    await send((s) => proc.kill(s), seen);
    const [exitCode, signal] = await exited;
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`no report; stdout ${out}; stderr ${err}`);
    return { report: JSON.parse(line) as Report, exitCode, signal };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function expectOneStopPerSession(report: Report): void {
  expect(report.begins).toEqual([1, 1]);
  expect(report.stops).toEqual([1, 1]);
}

function expectNoLeakedListeners(report: Report): void {
  // The hook's listener, and the child's own signal counter.
  expect(report.during.SIGINT).toBe(report.before.SIGINT! + 2);
  expect(report.during.SIGTERM).toBe(report.before.SIGTERM! + 2);
  expect(report.after).toEqual(report.before);
}

describe.skipIf(process.platform === 'win32')('real signals to a child process', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s: one STOP per session, sessions end as abortedByServer, exit code 0',
    async (sig) => {
      const { report, exitCode, signal } = await run(5, (kill) => kill(sig));
      expect(report.signal).toBe(sig);
      expect(report.code).toBe(0);
      expect([exitCode, signal]).toEqual([0, null]);
      expectOneStopPerSession(report);
      expect(report.ends).toEqual(['abortedByServer', 'abortedByServer']);
      expectNoLeakedListeners(report);
    },
    30_000,
  );

  it.each([
    ['SIGINT', 'SIGINT', 130],
    ['SIGINT', 'SIGTERM', 143],
    ['SIGTERM', 'SIGINT', 130],
  ] as const)(
    '%s then %s during the grace period: exit code %i at once',
    async (first, second, code) => {
      const { report, exitCode } = await run(400, async (kill, seen) => {
        kill(first);
        await seen();
        kill(second);
      });
      expect(report.signal).toBe(first);
      expect([report.code, exitCode]).toEqual([code, code]);
      expectOneStopPerSession(report);
      expectNoLeakedListeners(report);
    },
    30_000,
  );

  // Identical pending signals coalesce in the kernel, so the burst follows a first signal the child has seen.
  it('a storm of 500 SIGINTs: one STOP per session, exit code 130, no leaked listeners', async () => {
    const { report, exitCode } = await run(400, async (kill, seen) => {
      kill('SIGINT');
      await seen();
      for (let i = 0; i < 500; i++) kill('SIGINT');
    });
    expect(report.received).toBeGreaterThanOrEqual(2);
    expect([report.code, exitCode]).toEqual([130, 130]);
    expectOneStopPerSession(report);
    expectNoLeakedListeners(report);
  }, 30_000);

  it('a mixed storm of 500 SIGINT/SIGTERM: one STOP per session, 128 + the second signal', async () => {
    const { report, exitCode } = await run(400, async (kill, seen) => {
      kill('SIGINT');
      await seen();
      for (let i = 0; i < 500; i++) kill(i % 2 ? 'SIGINT' : 'SIGTERM');
    });
    expect(report.received).toBeGreaterThanOrEqual(2);
    expect([130, 143]).toContain(report.code);
    expect(exitCode).toBe(report.code);
    expectOneStopPerSession(report);
    expectNoLeakedListeners(report);
  }, 30_000);
});
