import fs from 'node:fs';
import path from 'node:path';
import { cleanOrphans } from '../backup/index.js';
import type { CliOutput } from './cli-output.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/**
 * `ese-backup clean DIR`: removes what killed runs left in a backup directory (temporary
 * directories, lock files of processes that are gone), and the temporary directories of restores that
 * died there (`.<target>.restoring-<pid>-<hex>`, see `cleanOrphans`), and names the backup sessions
 * the dead runs had open; live runs and restores, committed sets and restore targets are never touched.
 *
 * ESE rule: backup sessions live inside the process that began them (an instance is per process), so a
 * killed run's session ended with it; a process that outlives its run ends its own with End2(Abort).
 *
 * @returns 0 (what was removed and kept is reported).
 * @throws UsageError when `DIR` is not a directory.
 * @example
 * process.exitCode = await cleanCommand('/backups', out);
 */
export async function cleanCommand(dir: string, out: CliOutput): Promise<ExitCode> {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${root} is not a directory`);
  const r = await cleanOrphans(root);
  for (const p of r.removed) out.line(`removed ${p}`);
  for (const k of r.kept) out.line(`kept    ${k.path}: ${k.reason}`);
  for (const s of r.sessions) {
    out.line(
      `session of pid ${s.pid} (${s.instance.backend} ${s.instance.name ?? s.instance.handle}, since ${s.startTime}) into ${s.set}: ended with its process`,
    );
  }
  if (r.removed.length === 0 && r.kept.length === 0) out.line(`nothing to clean in ${root}`);
  out.result({ command: 'clean', ok: true, exitCode: exitCodes.ok, dir: root, removed: r.removed, kept: r.kept, sessions: r.sessions });
  return exitCodes.ok;
}
