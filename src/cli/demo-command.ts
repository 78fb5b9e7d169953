import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { digestLabel, listBackupSets, manifestDigestAlgorithm, restoreBackupSet, verifyBackupSet } from '../backup/index.js';
import type { CliFleetOptions } from './cli-fleet.js';
import type { CliOutput } from './cli-output.js';
import { openDemoInstance, type DemoInstance } from './demo-instance.js';
import { demoRowValue } from './demo-row-value.js';
import { startDemoWriter, type DemoWriter } from './demo-writer.js';
import { exitCodeOfOutcome, exitCodes, type ExitCode } from './exit-codes.js';
import { formatBytes } from './format-bytes.js';
import { printStopProbe } from './print-stop-probe.js';
import type { ProgressDisplayOptions } from './progress-display.js';
import { runCliBackup, type CliBackupRun } from './run-cli-backup.js';
import { cliInspection, type CliInspectOptions } from './cli-inspection.js';
import { watchStop, type StopProbe } from './watch-stop.js';
import { waitForSignal } from './wait-for-signal.js';

/** Options of `ese-backup demo`. */
export interface DemoCommandOptions {
  /** Where the instance `demo`, the sets and restores go (default: a temporary directory, removed afterwards). */
  dir?: string;
  /** Database size in MiB. */
  size: number;
  stopAfter?: number;
  /** Pace of the backup's reads in MiB/s (0: unpaced). */
  rate: number;
  /** Serve the live inspector (and keep serving after the run until Ctrl-C). */
  inspect?: CliInspectOptions;
  progress: ProgressDisplayOptions | false;
  /** Join the fleet for the backup (`--fleet`). */
  fleet?: CliFleetOptions;
}

/**
 * `ese-backup demo`: an embedded instance `DIR/demo` with a database of `size` MiB and a writer
 * committing rows, one full backup through the coordinator with live progress, stoppable by
 * Ctrl-C/SIGTERM (the shutdown hook), `--stop-after` or the inspector's STOP. A stop shows which calls
 * are now refused and why, and that nothing incomplete is visible; a completed set is verified,
 * restored, and checked against every row committed before the log phase began.
 *
 * @returns 0 restored and complete, 130 stopped with nothing visible, 1 anything else.
 * @example
 * process.exitCode = await demoCommand({ size: 256, rate: 64, progress: false }, out);
 */
export async function demoCommand(options: DemoCommandOptions, out: CliOutput): Promise<ExitCode> {
  const root = options.dir ? path.resolve(options.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'ese-backup-demo-'));
  const c = out.c;
  const report: Record<string, unknown> = { command: 'demo', dir: root };
  const inspection = options.inspect ? cliInspection(options.inspect) : undefined;
  let run: CliBackupRun | undefined;
  let writer: DemoWriter | undefined;
  out.line(c.bold(`ese-backup demo: the embedded engine in ${root}`));
  const demo = await openDemoInstance(root, options.size);
  const { engine, db, opened } = demo;
  try {
    const dbBytes = fs.statSync(db.path).size;
    report.database = { path: db.path, rows: demo.rows, bytes: dbBytes, created: demo.created };
    out.line(
      `instance 'demo' (${demo.created ? 'created' : 'recovered by JetInit'}): ${path.basename(db.path)}, ${demo.rows} rows, ${formatBytes(dbBytes)}${demo.fillSeconds > 0.05 ? ` (written in ${demo.fillSeconds.toFixed(1)} s)` : ''}`,
    );
    const live = startDemoWriter(db, Date.now().toString(36));
    writer = live; // stopped in `finally` whatever happens
    const backups = path.join(root, 'backups');
    const to = path.join(backups, `full-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    out.line('writer: committing rows while the backup runs');
    out.line(`full backup -> ${to}`);
    out.line(
      c.dim(
        `  Ctrl-C stops it through the shutdown hook${options.stopAfter !== undefined ? `; --stop-after ${options.stopAfter} ms` : ''}${options.rate > 0 ? `; reads paced to ${options.rate} MiB/s (--rate 0: full speed)` : ''}`,
      ),
    );
    let committedBeforeLogs = 0;
    let last: { phase: string; bytesDone: number; bytesTotal: number } | undefined;
    let watch: ReturnType<typeof watchStop> | undefined;
    run = await runCliBackup({
      opened,
      to,
      mode: 'full',
      truncateLogs: false,
      verify: true,
      ...(options.rate > 0 ? { rate: options.rate * 1024 * 1024 } : {}),
      ...(options.stopAfter !== undefined ? { stopAfter: options.stopAfter } : {}),
      ...(inspection ? { inspect: inspection.inspect } : {}),
      ...(options.fleet ? { fleet: options.fleet } : {}),
      progress: options.progress,
      onProgress: (p) => {
        // Rows durable before GetLogInfo is called are in the logs the set copies.
        if (p.phase === 'starting' || p.phase === 'databases') committedBeforeLogs = live.committed;
        if (p.phase !== 'done') last = p;
      },
      onCoordinator: async (coordinator) => {
        watch = watchStop(coordinator, opened.instance, inspection?.watch);
        if (inspection) out.note(`inspector: ${await inspection.start(coordinator)}`);
      },
    });
    await live.stop();
    const probe = await watch?.dispose();
    const { result } = run;
    Object.assign(report, {
      outcome: result.outcome,
      seconds: run.seconds,
      set: result.set?.path ?? null,
      end: result.end,
      stopReason: result.stopReason ?? null,
      signal: run.signal ?? null,
    });
    let code: ExitCode;
    if (result.outcome !== 'completed') {
      const why = result.stopReason
        ? `${result.stopReason.source}${result.stopReason.detail ? ` ${result.stopReason.detail}` : ''}`
        : result.error?.message;
      out.line(
        `${c.yellow(result.outcome)} by ${why} after ${run.seconds.toFixed(1)} s${last ? `, in phase ${last.phase}: ${formatBytes(last.bytesDone)} of ${formatBytes(last.bytesTotal)} copied` : ''}`,
      );
      code = (await showNothingVisible(run, probe, to, backups, demo, out, report)) ? exitCodeOfOutcome(result.outcome) : exitCodes.failed;
    } else {
      code = await verifyAndRestore(run, root, demo, live, committedBeforeLogs, out, report);
    }
    out.result({ ...report, exitCode: code });
    if (inspection) {
      out.note('inspector: still serving; Ctrl-C to exit');
      await waitForSignal();
    }
    return code;
  } finally {
    await writer?.stop().catch(() => undefined);
    run?.dispose();
    await inspection?.close();
    await engine.close();
    if (!options.dir) fs.rmSync(root, { recursive: true, force: true });
  }
}

/** After a stop: the refused calls, the session's end, and that no part of the run is visible. */
async function showNothingVisible(
  run: CliBackupRun,
  probe: StopProbe | undefined,
  to: string,
  backups: string,
  demo: DemoInstance,
  out: CliOutput,
  report: Record<string, unknown>,
): Promise<boolean> {
  const { instance } = demo.opened;
  if (probe) printStopProbe(probe, out);
  else out.line('the stop came before the backup session began: no call was refused');
  // After End2(Abort) the session is gone: the same read now answers -520.
  const after = await run.coordinator
    .session(instance)
    .readFile(instance, 0n, new Uint8Array(1 << 20))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  const recorded = demo.engine.lastBackup(instance)?.end ?? 'no session';
  out.line(`after End2: ${after instanceof Error ? after.message : 'the read was allowed'}; the engine recorded '${recorded}'`);
  const leftovers = fs.existsSync(backups) ? fs.readdirSync(backups).filter((n) => n.startsWith(`.${path.basename(to)}.`)) : [];
  const listed = fs.existsSync(backups) ? await listBackupSets(backups, { verify: false }) : [];
  const visible = fs.existsSync(to) || leftovers.length > 0 || listed.some((s) => s.path === to);
  report.stop = { ...probe, after: after instanceof Error ? after : null, engineRecorded: recorded };
  report.visible = { finalName: fs.existsSync(to), leftovers, sets: listed.length };
  out.line(
    visible
      ? out.c.red(`something of the stopped run is visible: ${[fs.existsSync(to) ? to : '', ...leftovers].join(' ')}`)
      : `nothing incomplete is visible: no ${path.basename(to)}, no temporary directory, no lock; ${listed.length} committed set(s) in ${backups}`,
  );
  return !visible;
}

/** After a completed run: verify the set from disk, restore it, and check every committed row. */
async function verifyAndRestore(
  run: CliBackupRun,
  root: string,
  demo: DemoInstance,
  writer: DemoWriter,
  committedBeforeLogs: number,
  out: CliOutput,
  report: Record<string, unknown>,
): Promise<ExitCode> {
  const { c } = out;
  const set = run.result.set!;
  const setBytes = set.manifest.files.reduce((n, f) => n + f.size, 0);
  const gens = set.manifest.logGenerations;
  out.line(
    `${c.green('completed')} in ${run.seconds.toFixed(1)} s: ${set.manifest.files.length} files, ${formatBytes(setBytes)}, log generations ${gens ? `${gens.low}-${gens.high}` : 'none'}; End2(Normal); the engine recorded '${demo.engine.lastBackup(demo.opened.instance)?.end}'`,
  );
  const verification = await verifyBackupSet(set.path);
  report.verify = { ok: verification.ok, problems: verification.problems };
  const pages = verification.files.reduce((n, f) => n + (f.role === 'db' ? f.ese.pages : 0), 0);
  out.line(
    `verify: ${verification.ok ? c.green('ok') : c.red('FAILED')}: manifest, ${digestLabel(manifestDigestAlgorithm(set.manifest))} of ${verification.files.length} files, ${pages} database pages, log headers and generations${verification.ok ? '' : `; ${verification.problems.length} problems`}`,
  );
  if (!verification.ok) return exitCodes.failed;
  const restoreDir = path.join(root, `restored-${path.basename(set.path)}`);
  const restored = await restoreBackupSet(set.path, { engine: demo.engine, to: restoreDir });
  const rdb = restored.restored.databases[0];
  let missing = 0;
  for (let i = 0; i < demo.rows; i++) if (!equalBytes(rdb?.get(`row-${i}`), demoRowValue(i))) missing++;
  const text = new TextDecoder();
  for (let i = 0; i < committedBeforeLogs; i++)
    if (text.decode(rdb?.get(writer.keyOf(i)) ?? new Uint8Array()) !== writer.valueOf(i)) missing++;
  report.restore = {
    to: restoreDir,
    keys: rdb?.size ?? 0,
    genLow: restored.genLow,
    genHigh: restored.genHigh,
    rows: demo.rows,
    committedBeforeLogs,
    committedTotal: writer.committed,
    missing,
  };
  out.line(`restore: into ${restoreDir}: ${rdb?.size ?? 0} rows, log generations ${restored.genLow}-${restored.genHigh} replayed`);
  out.line(
    missing === 0
      ? `check: ${c.green('all there')}: the ${demo.rows} rows and the ${committedBeforeLogs} writes committed before the log phase, byte for byte (${writer.committed - committedBeforeLogs} later writes may or may not be)`
      : c.red(`check: ${missing} committed rows are missing or differ`),
  );
  return missing === 0 ? exitCodes.ok : exitCodes.failed;
}

function equalBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
