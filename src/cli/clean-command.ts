import fs from 'node:fs';
import path from 'node:path';
import { cleanOrphans } from '../backup/index.js';
import type { CliOutput } from './cli-output.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/**
 * `ese-backup clean DIR`: removes what killed runs left in a backup directory (temporary
 * directories, lock files of processes that are gone), and the temporary directories of restores that
 * died there (`.<target>.restoring-<host>-<pid>-<hex>`, see `cleanOrphans`), and names the backup sessions
 * the dead runs had open; live runs and restores, another host's restores, committed sets and restore
 * targets are never touched. A file-system call that failed is printed (`failed  …`) and exits 1.
 *
 * ESE rule: backup sessions live inside the process that began them (an instance is per process), so a
 * killed run's session ended with it; a process that outlives its run ends its own with End2(Abort).
 *
 * @returns 0 when every call succeeded (what was removed and kept is reported), 1 when one failed.
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
  for (const f of r.failed) out.line(`failed  ${f.message}`);
  for (const s of r.sessions) {
    out.line(
      `session of pid ${s.pid} (${s.instance.backend} ${s.instance.name ?? s.instance.handle}, since ${s.startTime}) into ${s.set}: ended with its process`,
    );
  }
  if (r.removed.length === 0 && r.kept.length === 0 && r.failed.length === 0) out.line(`nothing to clean in ${root}`);
  // A call that failed is a clean not done: exit 1, so a script does not take the leftovers for gone.
  const ok = r.failed.length === 0;
  const exitCode = ok ? exitCodes.ok : exitCodes.failed;
  out.result({
    command: 'clean',
    ok,
    exitCode,
    dir: root,
    removed: r.removed,
    kept: r.kept,
    sessions: r.sessions,
    ...(ok ? {} : { failed: r.failed }),
  });
  return exitCode;
}
