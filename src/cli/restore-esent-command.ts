import fs from 'node:fs';
import path from 'node:path';
import { BackupSetRestoreError, restoreEsentBackupSet } from '../backup/index.js';
import type { CliOutput } from './cli-output.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import { readSignKeyOption } from './read-sign-key-option.js';
import { UsageError } from './usage-error.js';

/** Options of `ese-backup restore SET --to DIR --engine esent`. */
export interface RestoreEsentCommandOptions {
  /** Exactly one full set. */
  sets: string[];
  to: string;
  /** esent.dll to load (default: the system one on Windows). */
  library?: string;
  /** `--sign-key FILE`: the HMAC key the set was signed with. */
  signKeyFile?: string;
}

/**
 * `ese-backup restore SET --to DIR --engine esent`: restores one full set with esent.dll
 * (restoreEsentBackupSet): databases in `DIR/db/`, logs and checkpoint in `DIR/logs/`.
 *
 * @returns 0 restored, 1 the set does not verify or ESE refused.
 * @throws UsageError for anything but one existing set directory, or a `DIR` that is not empty.
 */
export async function restoreEsentCommand(o: RestoreEsentCommandOptions, out: CliOutput): Promise<ExitCode> {
  if (o.sets.length !== 1) throw new UsageError(`restore --engine esent takes one full set, got ${o.sets.length}`);
  const set = path.resolve(o.sets[0]!);
  if (!fs.existsSync(set) || !fs.statSync(set).isDirectory()) throw new UsageError(`${set} is not a backup set directory`);
  const to = path.resolve(o.to);
  if (fs.existsSync(to) && (!fs.statSync(to).isDirectory() || fs.readdirSync(to).length > 0))
    throw new UsageError(`--to ${to} must be an empty or absent directory`);
  const { c } = out;
  const signKey = o.signKeyFile !== undefined ? await readSignKeyOption(o.signKeyFile) : undefined;
  try {
    const r = await restoreEsentBackupSet(set, { to, ...(o.library ? { library: o.library } : {}), ...(signKey ? { signKey } : {}) });
    out.line(`${c.green('restored')} ${set} into ${to} with esent.dll: log generations ${r.genLow}-${r.genHigh} replayed`);
    for (const db of r.databases) out.line(`  ${db.path}: attached and opened by a fresh instance`);
    out.result({
      command: 'restore',
      engine: 'esent',
      ok: true,
      exitCode: exitCodes.ok,
      to,
      sets: [set],
      databases: r.databases,
      logPath: r.logPath,
      genLow: r.genLow,
      genHigh: r.genHigh,
    });
    return exitCodes.ok;
  } catch (e) {
    if (!(e instanceof BackupSetRestoreError)) throw e;
    out.line(`${c.red('not restored')}: ${e.message}`);
    out.result({ command: 'restore', engine: 'esent', ok: false, exitCode: exitCodes.failed, to, error: e });
    return exitCodes.failed;
  }
}
