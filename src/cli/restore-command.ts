import fs from 'node:fs';
import path from 'node:path';
import { BackupSetRestoreError, restoreBackupSet } from '../backup/index.js';
import { createEmbeddedEngine } from '../engine/index.js';
import type { CliOutput } from './cli-output.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import { readSignKeyOption } from './read-sign-key-option.js';
import { UsageError } from './usage-error.js';

/** Options of `ese-backup restore`. */
export interface RestoreCommandOptions {
  /** A full set, then the incremental sets taken after it, in order. */
  sets: string[];
  /** The restored instance's directory: empty or absent. */
  to: string;
  /** `--sign-key FILE`: the HMAC key the sets were signed with. */
  signKeyFile?: string;
}

/**
 * `ese-backup restore SET [INCREMENTAL…] --to DIR`: verifies every set (with `--sign-key`, its keyed
 * signature too), checks that the logs chain, lets the embedded engine lay the copies out and replay
 * the logs in a temporary directory next to `DIR`, checks that every database of the full set came
 * back, and renames the result to `DIR`: an instance named after `DIR` (so
 * `ese-backup backup --engine embedded:PARENT --instance NAME` can open it later). A failed restore
 * leaves `DIR` as it was, so it can be retried.
 *
 * ESE rule: a restore needs every log generation from the oldest the databases need on (-528).
 *
 * @returns 0 restored, 1 a set does not verify, the sets do not chain, a database did not come back, or the engine refused.
 * @throws UsageError when a set does not exist or `DIR` is a symlink, not a directory, or not empty.
 * @example
 * process.exitCode = await restoreCommand({ sets: ['/b/full-1', '/b/incr-1'], to: '/r/demo' }, out);
 */
export async function restoreCommand(o: RestoreCommandOptions, out: CliOutput): Promise<ExitCode> {
  for (const s of o.sets)
    if (!fs.existsSync(s) || !fs.statSync(s).isDirectory()) throw new UsageError(`${s} is not a backup set directory`);
  const to = path.resolve(o.to);
  const stat = fs.lstatSync(to, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink()) throw new UsageError(`--to ${to} is a symbolic link: name the directory itself`);
  if (stat && (!stat.isDirectory() || fs.readdirSync(to).length > 0))
    throw new UsageError(`--to ${to} must be an empty or absent directory`);
  const signKey = o.signKeyFile !== undefined ? await readSignKeyOption(o.signKeyFile) : undefined;
  const engine = await createEmbeddedEngine({ directory: path.dirname(to) });
  const { c } = out;
  try {
    const r = await restoreBackupSet(
      o.sets.map((s) => path.resolve(s)),
      { engine, to, name: path.basename(to), ...(signKey ? { signKey } : {}) },
    );
    const signature = r.sets.some((s) => s.signature === 'not-checked')
      ? ' (signed sets: signature not checked without --sign-key)'
      : r.sets.every((s) => s.signature === 'valid')
        ? ' (signatures valid)'
        : '';
    out.line(
      `${c.green('restored')} ${r.sets.map((s) => s.dir).join(' + ')} into ${to}: log generations ${r.genLow}-${r.genHigh} replayed${signature}`,
    );
    for (const db of r.databases) out.line(`  ${db.path}: ${db.keys} keys`);
    out.result({
      command: 'restore',
      ok: true,
      exitCode: exitCodes.ok,
      to,
      sets: r.sets.map((s) => ({ path: s.dir, signature: s.signature })),
      databases: r.databases,
      genLow: r.genLow,
      genHigh: r.genHigh,
    });
    return exitCodes.ok;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const reports = e instanceof BackupSetRestoreError ? e.reports : [];
    out.line(`${c.red('not restored')}: ${(e as Error).message.split('\n').join('\n  ')}`);
    const after = fs.lstatSync(to, { throwIfNoEntry: false });
    const placed = after?.isDirectory() === true && fs.readdirSync(to).length > 0;
    out.line(
      placed
        ? `  ${to} holds the restored instance, complete and shut down cleanly, but opening it again failed`
        : `  ${to} was left as it was: the restore can be retried`,
    );
    out.result({
      command: 'restore',
      ok: false,
      exitCode: exitCodes.failed,
      to,
      error: e,
      problems: reports.flatMap((r) => r.problems.map((p) => ({ set: r.dir, ...p }))),
    });
    return exitCodes.failed;
  } finally {
    await engine.close();
  }
}
