import fs from 'node:fs';
import path from 'node:path';
import { newSetDigest, type BackupResult, type FileDigestAlgorithm } from '../backup/index.js';
import type { CliFleetOptions } from './cli-fleet.js';
import type { CliOutput } from './cli-output.js';
import { cliInspection, type CliInspectOptions } from './cli-inspection.js';
import { parseEngineSpec, type OpenedInstance } from './engine-spec.js';
import { exitCodeOfOutcome, exitCodes, type ExitCode } from './exit-codes.js';
import { formatBytes } from './format-bytes.js';
import { openEmbeddedInstance } from './open-embedded-instance.js';
import { openEsentInstance, type EsentInstanceOptions } from './open-esent-instance.js';
import type { ProgressDisplayOptions } from './progress-display.js';
import { runCliBackup } from './run-cli-backup.js';
import { UsageError } from './usage-error.js';
import { readSignKeyOption } from './read-sign-key-option.js';
import { waitForSignal } from './wait-for-signal.js';

/** Options of `ese-backup backup` (and `ese-backup inspect`, which adds the inspector). */
export interface BackupCommandOptions {
  engine: string;
  instance: string;
  to: string;
  incremental: boolean;
  truncateLogs: boolean;
  verify: boolean;
  /** `--sign-key FILE`: sign the manifest with HMAC-SHA-256 under the key in FILE. */
  signKeyFile?: string;
  readSize?: number;
  /** `--digest`: each file's digest in the manifest (default BLAKE3, SHA-256 with a warning where BLAKE3 cannot load). */
  digest?: FileDigestAlgorithm;
  /** MiB/s. */
  rate?: number;
  stopAfter?: number;
  /** esent only: the JetSetSystemParameter values and the databases to attach. */
  esent: Omit<EsentInstanceOptions, 'name'>;
  progress: ProgressDisplayOptions | false;
  /** Serve the live inspector during the run, and after it until Ctrl-C. */
  inspect?: CliInspectOptions;
  /** Join the fleet for this run (`--fleet`). */
  fleet?: CliFleetOptions;
}

function lstatIfAny(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The exit code of a backup run: its outcome's (0 completed, 130 stopped or aborted, 1 failed), and 1
 * for a set kept by a run that did not complete (its truncation began, then failed).
 *
 * @example
 * process.exitCode = backupExitCode(await runBackup(options));
 */
export function backupExitCode(result: BackupResult): ExitCode {
  return result.set && result.outcome !== 'completed' ? exitCodes.failed : exitCodeOfOutcome(result.outcome);
}

/** Opens the instance `--engine` and `--instance` name. */
async function openInstance(o: BackupCommandOptions): Promise<OpenedInstance> {
  const spec = parseEngineSpec(o.engine);
  if (spec.kind === 'embedded') return openEmbeddedInstance(spec.directory, o.instance);
  return openEsentInstance({ ...o.esent, name: o.instance });
}

/**
 * `ese-backup backup`: one full (or `--incremental`) backup of an instance into the set `--to`,
 * through the coordinator, with progress and the shutdown hook; `--truncate-logs` truncates only
 * after the set was committed and verified from disk.
 *
 * @returns 0 completed (and verified), 130 stopped, 1 failed — also when TruncateLog was called and
 *   failed (the set is kept and the logs already gone are named).
 * @throws UsageError when `--to` exists or names a dot file; JetError/EsentLoadError opening the instance.
 * @example
 * process.exitCode = await backupCommand({ engine: 'embedded:/d', instance: 'demo', to: '/b/full-1', … }, out);
 */
export async function backupCommand(o: BackupCommandOptions, out: CliOutput): Promise<ExitCode> {
  const to = path.resolve(o.to);
  // lstat, not existsSync: a link (even a dangling one) is refused before any engine call, not at the rename.
  const existing = lstatIfAny(to);
  if (existing?.isSymbolicLink())
    throw new UsageError(`--to ${to} is a symbolic link (to ${fs.readlinkSync(to)}): a backup set is never written through a link`);
  if (existing) throw new UsageError(`--to ${to} already exists: a backup set is never written over`);
  if (path.basename(to).startsWith('.'))
    throw new UsageError(`--to ${to}: a set's name must not start with a dot (those are the runs' temporary files)`);
  const mode = o.incremental ? 'incremental' : 'full';
  const signKey = o.signKeyFile !== undefined ? await readSignKeyOption(o.signKeyFile) : undefined;
  // Before the instance opens: an explicit --digest blake3 that cannot be computed here fails now (exit 1).
  const digest = newSetDigest(o.digest);
  const inspection = o.inspect ? cliInspection(o.inspect) : undefined;
  const opened = await openInstance(o);
  try {
    out.line(`${mode} backup of ${opened.description} -> ${to}`);
    const run = await runCliBackup({
      opened,
      to,
      mode,
      truncateLogs: o.truncateLogs,
      verify: o.verify,
      ...(signKey ? { signKey } : {}),
      digest,
      progress: o.progress,
      ...(o.readSize ? { readSize: o.readSize } : {}),
      ...(o.rate ? { rate: o.rate * 1024 * 1024 } : {}),
      ...(o.stopAfter !== undefined ? { stopAfter: o.stopAfter } : {}),
      ...(o.fleet ? { fleet: o.fleet } : {}),
      ...(inspection
        ? {
            inspect: inspection.inspect,
            onCoordinator: async (coordinator) => out.note(`inspector: ${await inspection.start(coordinator)}`),
          }
        : {}),
    });
    const { result } = run;
    const code = backupExitCode(result);
    const manifest = result.set?.manifest;
    const bytes = manifest?.files.reduce((n, f) => n + f.size, 0) ?? 0;
    const { c } = out;
    if (result.outcome === 'completed' && manifest) {
      const gens = manifest.logGenerations;
      out.line(
        `${c.green('completed')} in ${run.seconds.toFixed(1)} s: ${manifest.files.length} files, ${formatBytes(bytes)} (${formatBytes(bytes / Math.max(run.seconds, 0.001))}/s), log generations ${gens ? `${gens.low}-${gens.high}` : 'none'}` +
          `${result.verification ? (result.verification.ok ? '; verified from disk' : '') : '; not re-verified (--no-verify)'}${result.truncated === true ? `; ${result.logsTruncated?.length ?? 0} log(s) truncated` : ''}`,
      );
      out.line(`set: ${result.set!.path}`);
    } else {
      const why = result.stopReason
        ? `${result.stopReason.source}${result.stopReason.detail ? ` ${result.stopReason.detail}` : ''}`
        : (result.error?.message ?? 'unknown');
      const ended = {
        normal: 'End2(Normal)',
        abort: 'End2(Abort)',
        none: "ended before the runner's End2 (the shutdown hook's End2(Abort), or the engine)",
        failed: 'End2 failed',
      }[result.end];
      const gone = result.logsTruncated ?? [];
      const kept = !result.set
        ? `nothing under ${to}`
        : result.logsTruncated
          ? `the set ${result.set.path} is kept (committed${result.verification?.ok ? ' and verified from disk' : ''}${gone.length > 0 ? ', because logs are already gone from the instance' : ''})`
          : `the set ${result.set.path} was committed and could not be taken back: check it with ese-backup verify`;
      const logs =
        result.truncated === 'partial'
          ? `TruncateLog failed part-way: ${gone.length} log(s) are gone`
          : result.truncated
            ? `${gone.length} log(s) truncated`
            : 'no log truncated';
      out.line(`${result.outcome === 'failed' ? c.red('failed') : c.yellow(result.outcome)}: ${why}; session: ${ended}; ${kept}; ${logs}`);
      for (const file of result.truncated === 'partial' ? gone : []) out.line(`  gone: ${file}`);
      if (result.error && result.stopReason) out.line(c.dim(`  (${result.error.message})`));
    }
    if (result.lockLeft)
      out.line(
        c.yellow(
          `warning: the set lock ${result.lockLeft.path} could not be removed (${result.lockLeft.error}); ese-backup clean removes it once this process has exited`,
        ),
      );
    for (const f of result.orphans?.failed ?? [])
      out.line(c.yellow(`warning: the clean before the run could not ${f.operation} a leftover: ${f.message}`));
    out.result({
      command: 'backup',
      outcome: result.outcome,
      exitCode: code,
      engine: opened.description,
      mode,
      set: result.set?.path ?? null,
      files:
        manifest?.files.map(({ name, role, size, generation }) => ({
          name,
          role,
          size,
          ...(generation !== undefined ? { generation } : {}),
        })) ?? [],
      bytes,
      seconds: run.seconds,
      logGenerations: manifest?.logGenerations ?? null,
      end: result.end,
      truncated: result.truncated,
      logsTruncated: result.logsTruncated ?? [],
      verified: result.verification ? result.verification.ok : null,
      ...(result.verification && !result.verification.ok ? { problems: result.verification.problems } : {}),
      stopReason: result.stopReason ?? null,
      signal: run.signal ?? null,
      error: result.error ?? null,
      orphansRemoved: result.orphans?.removed ?? [],
      ...(result.orphans?.failed.length ? { orphansFailed: result.orphans.failed } : {}),
      lockLeft: result.lockLeft ?? null,
    });
    if (inspection) {
      out.note('inspector: still serving; Ctrl-C to exit');
      await waitForSignal();
    }
    run.dispose();
    return code;
  } finally {
    await inspection?.close();
    await opened.close();
  }
}
