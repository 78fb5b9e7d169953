import fs from 'node:fs';
import path from 'node:path';
import { BackupSetRestoreError, restoreBackupSet } from '../backup/index.js';
import { createEmbeddedEngine } from '../engine/index.js';
import type { CliOutput } from './cli-output.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/** Options of `ese-backup restore`. */
export interface RestoreCommandOptions {
  /** A full set, then the incremental sets taken after it, in order. */
  sets: string[];
  /** The restored instance's directory: empty or absent. */
  to: string;
}

/**
 * `ese-backup restore SET [INCREMENTAL…] --to DIR`: verifies every set, checks that the logs chain,
 * and lets the embedded engine lay the copies out and replay the logs into `DIR`, an instance named
 * after `DIR` (so `ese-backup backup --engine embedded:PARENT --instance NAME` can open it later).
 *
 * ESE rule: a restore needs every log generation from the oldest the databases need on (-528).
 *
 * @returns 0 restored, 1 a set does not verify, the sets do not chain, or the engine refused.
 * @throws UsageError when a set does not exist or `DIR` is not empty.
 * @example
 * process.exitCode = await restoreCommand({ sets: ['/b/full-1', '/b/incr-1'], to: '/r/demo' }, out);
 */
export async function restoreCommand(o: RestoreCommandOptions, out: CliOutput): Promise<ExitCode> {
  for (const s of o.sets) if (!fs.existsSync(s) || !fs.statSync(s).isDirectory()) throw new UsageError(`${s} is not a backup set directory`);
  const to = path.resolve(o.to);
  if (fs.existsSync(to) && (!fs.statSync(to).isDirectory() || fs.readdirSync(to).length > 0)) throw new UsageError(`--to ${to} must be an empty or absent directory`);
  const engine = await createEmbeddedEngine({ directory: path.dirname(to) });
  const { c } = out;
  try {
    const r = await restoreBackupSet(o.sets.map((s) => path.resolve(s)), { engine, to, name: path.basename(to) });
    out.line(`${c.green('restored')} ${r.sets.map((s) => s.dir).join(' + ')} into ${to}: log generations ${r.genLow}-${r.genHigh} replayed`);
    for (const db of r.databases) out.line(`  ${db.path}: ${db.keys} keys`);
    out.result({ command: 'restore', ok: true, exitCode: exitCodes.ok, to, sets: r.sets.map((s) => s.dir), databases: r.databases, genLow: r.genLow, genHigh: r.genHigh });
    return exitCodes.ok;
  } catch (e) {
    if (!(e instanceof BackupSetRestoreError)) throw e;
    out.line(`${c.red('not restored')}: ${e.message.split('\n').join('\n  ')}`);
    out.result({ command: 'restore', ok: false, exitCode: exitCodes.failed, to, error: e, problems: e.reports.flatMap((r) => r.problems.map((p) => ({ set: r.dir, ...p }))) });
    return exitCodes.failed;
  } finally {
    await engine.close();
  }
}
