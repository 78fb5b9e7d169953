import fs from 'node:fs';
import path from 'node:path';
import { listBackupSets } from '../backup/index.js';
import type { CliOutput } from './cli-output.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import { formatBytes } from './format-bytes.js';
import { UsageError } from './usage-error.js';

/**
 * `ese-backup list DIR`: the committed sets in a backup directory, oldest first, with mode, size,
 * log generations, start time and whether each verifies from disk (`--no-verify` skips reading them).
 * Runs in progress and leftovers of killed runs are not sets and are not listed.
 *
 * @returns 0 (the listing says which sets verify; `verify` exits 1 for them).
 * @throws UsageError when `DIR` is not a directory.
 * @example
 * process.exitCode = await listCommand('/backups', { verify: true }, out);
 */
export async function listCommand(dir: string, o: { verify: boolean }, out: CliOutput): Promise<ExitCode> {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${root} is not a directory`);
  const sets = await listBackupSets(root, { verify: o.verify });
  const { c } = out;
  const rows = sets.map((s) => [
    s.name,
    s.mode ?? '?',
    formatBytes(s.size),
    s.logGenerations ? `${s.logGenerations.low}-${s.logGenerations.high}` : '-',
    s.startTime ?? '?',
    s.verified === undefined ? 'not checked' : s.verified ? 'verified' : `FAILED (${s.problems} problems)`,
  ]);
  const head = ['NAME', 'MODE', 'SIZE', 'LOGS', 'STARTED', 'VERIFY'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  if (sets.length === 0) out.line(`no backup sets in ${root}`);
  else {
    out.line(c.bold(fmt(head)));
    for (const [i, r] of rows.entries()) {
      const line = fmt(r);
      out.line(sets[i]!.verified === false ? c.red(line) : line);
    }
  }
  out.result({ command: 'list', ok: true, exitCode: exitCodes.ok, dir: root, sets });
  return exitCodes.ok;
}
