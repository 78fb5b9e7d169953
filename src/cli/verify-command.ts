import fs from 'node:fs';
import path from 'node:path';
import {
  digestLabel,
  manifestDigestAlgorithm,
  verifyBackupSet,
  verifyEseFile,
  type BackupSetReport,
  type EseFileVerification,
} from '../backup/index.js';
import type { CliOutput } from './cli-output.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import { formatBytes } from './format-bytes.js';
import { readSignKeyOption } from './read-sign-key-option.js';
import { UsageError } from './usage-error.js';

/** How many problems a set or file lists in text (`--json` has them all). */
const SHOWN = 20;

/** Options of `ese-backup verify`. */
export interface VerifyCommandOptions {
  /** Backup set directories. */
  sets: string[];
  /** Single ESE files (`--file`), `.gz` accepted. */
  files: string[];
  /** `--sign-key FILE`: the HMAC key the sets were signed with. */
  signKeyFile?: string;
}

/** What the text output says about a set's keyed signature. */
function signatureNote(r: BackupSetReport): string {
  switch (r.signature) {
    case 'valid':
      return '; signature valid';
    case 'invalid':
      return '; signature INVALID';
    case 'not-checked':
      return '; signed, signature not checked (no --sign-key): tampering not ruled out';
    case 'unsigned':
      return '; unsigned: the manifest checksum catches accidental change only';
  }
}

function setJson(r: BackupSetReport) {
  return {
    path: r.dir,
    ok: r.ok,
    signature: r.signature,
    mode: r.manifest?.mode ?? null,
    logGenerations: r.manifest?.logGenerations ?? null,
    /** The files' digest algorithm the manifest names (`sha256` for a version 1 set). */
    digest: r.manifest ? manifestDigestAlgorithm(r.manifest) : null,
    files: r.files.map((f) => ({ name: f.name, role: f.role, bytes: f.bytes, ok: f.ese.ok })),
    problems: r.problems,
  };
}

function fileJson(r: EseFileVerification) {
  const { path: file, gzip, ok, fileType, bytes, pageSize, pages, pagesWithContent, streamed, header, badPages } = r;
  return { path: file, ok, gzip, fileType, bytes, pageSize, pages, pagesWithContent, streamed, header: header ?? null, badPages };
}

/**
 * `ese-backup verify SET… | --file PATH…`: every set's manifest, sizes, file digests (as the manifest names them), database page
 * checksums, log headers, generations and log signatures (`verifyBackupSet`; with `--sign-key` the
 * keyed signature too, else a signed set says "signature not checked"), or single ESE files made by
 * Windows or the engine (`verifyEseFile`). Every problem is listed, not only the first.
 *
 * @returns 0 when everything verifies, 1 otherwise.
 * @throws UsageError when nothing is named or a path does not exist.
 * @example
 * process.exitCode = await verifyCommand({ sets: ['/b/full-1'], files: [] }, out);
 */
export async function verifyCommand(o: VerifyCommandOptions, out: CliOutput): Promise<ExitCode> {
  if (o.sets.length === 0 && o.files.length === 0)
    throw new UsageError('verify needs a backup set (verify SET) or a file (verify --file PATH)');
  for (const p of o.sets)
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory())
      throw new UsageError(`${p} is not a directory: a backup set is one (for a single file use --file)`);
  for (const p of o.files) if (!fs.existsSync(p) || !fs.statSync(p).isFile()) throw new UsageError(`${p} is not a file`);
  const signKey = o.signKeyFile !== undefined ? await readSignKeyOption(o.signKeyFile) : undefined;
  const { c } = out;
  const status = (ok: boolean) => (ok ? c.green('ok    ') : c.red('FAILED'));
  const problemLines = (lines: string[]) => {
    for (const l of lines.slice(0, SHOWN)) out.line(`  - ${l}`);
    if (lines.length > SHOWN) out.line(`  … and ${lines.length - SHOWN} more (--json lists every one)`);
  };
  const sets: BackupSetReport[] = [];
  for (const p of o.sets) {
    const r = await verifyBackupSet(p, signKey ? { signKey } : {});
    sets.push(r);
    const m = r.manifest;
    const bytes = r.files.reduce((n, f) => n + f.bytes, 0);
    const summary = m
      ? `${m.mode}, ${r.files.length} files, ${formatBytes(bytes)}, log generations ${m.logGenerations ? `${m.logGenerations.low}-${m.logGenerations.high}` : 'none'}, ${digestLabel(manifestDigestAlgorithm(m))}`
      : 'no usable manifest';
    out.line(`${status(r.ok)} ${r.dir}: ${summary}${signatureNote(r)}${r.ok ? '' : `; ${r.problems.length} problem(s)`}`);
    problemLines(r.problems.map((p) => p.message));
  }
  const files: EseFileVerification[] = [];
  for (const p of o.files) {
    const r = await verifyEseFile(path.resolve(p));
    files.push(r);
    const state =
      r.header?.fileType === 'database'
        ? `, state ${r.header.state}${r.header.stateName ? ` (${r.header.stateName})` : ''}`
        : r.header?.fileType === 'log'
          ? `, generation ${r.header.generation}`
          : '';
    out.line(
      `${status(r.ok)} ${r.path}${r.gzip ? ' (gzip)' : ''}: ${r.fileType}, ${r.pageSize}-byte pages, ${r.pages} pages, ${r.pagesWithContent} with content${state}${r.ok ? '' : `; ${r.badPages.length} bad page(s)`}`,
    );
    problemLines(r.badPages.map((b) => `page ${b.index}${b.pgno === null ? '' : ` (pgno ${b.pgno})`}: ${b.reason}`));
  }
  const ok = sets.every((r) => r.ok) && files.every((r) => r.ok);
  const code = ok ? exitCodes.ok : exitCodes.failed;
  out.result({ command: 'verify', ok, exitCode: code, sets: sets.map(setJson), files: files.map(fileJson) });
  return code;
}
