import fs from 'node:fs';
import path from 'node:path';
import { listBackupSets } from '../backup/index.js';
import type { CliOutput } from './cli-output.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import { formatBytes } from './format-bytes.js';
import { readSignKeyOption } from './read-sign-key-option.js';
import { UsageError } from './usage-error.js';

/**
 * `ese-backup list DIR`: the committed sets in a backup directory, oldest first, with mode, size,
 * log generations, start time and whether each verifies from disk (`--no-verify` skips reading them;
 * `--sign-key` checks each set's keyed signature, else a signed set says "signature not checked").
 * Runs in progress and leftovers of killed runs are not sets and are not listed.
 *
 * @returns 0 when every set listed verifies (or was not verified and its manifest reads), 1 otherwise.
 * @throws UsageError when `DIR` is not a directory.
 * @example
 * process.exitCode = await listCommand('/backups', { verify: true }, out);
 */
export async function listCommand(dir: string, o: { verify: boolean; signKeyFile?: string }, out: CliOutput): Promise<ExitCode> {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${root} is not a directory`);
  const signKey = o.signKeyFile !== undefined ? await readSignKeyOption(o.signKeyFile) : undefined;
  const sets = await listBackupSets(root, { verify: o.verify, ...(signKey ? { signKey } : {}) });
  const { c } = out;
  const rows = sets.map((s) => [
    s.name,
    s.mode ?? '?',
    formatBytes(s.size),
    s.logGenerations ? `${s.logGenerations.low}-${s.logGenerations.high}` : '-',
    s.startTime ?? '?',
    (s.verified === undefined ? 'not checked' : s.verified ? 'verified' : `FAILED (${s.problems} problems)`) +
      (s.signature === 'valid' ? ', signature valid' : s.signature === 'not-checked' ? ', signature not checked' : '') +
      (s.error ? `: ${s.error.slice(0, 200)}` : ''),
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
  // A set that does not verify (or whose manifest cannot be read) fails the listing, as `verify` would.
  const ok = sets.every((s) => s.verified !== false && (o.verify || s.error === undefined));
  const code = ok ? exitCodes.ok : exitCodes.failed;
  out.result({ command: 'list', ok, exitCode: code, dir: root, sets });
  return code;
}
