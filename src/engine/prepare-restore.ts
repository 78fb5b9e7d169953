import fs from 'node:fs';
import nodePath from 'node:path';
import { JET_err, JetError } from '../jet/index.js';
import { findBadPage } from './format/page-checksum.js';
import type { PageSize } from './embedded-engine-api.js';
import { Layout } from './engine-layout.js';
import { readDatabaseHeader } from './database-header.js';
import { writeCheckpoint } from './checkpoint-file.js';
import { INSTANCE_LOCK_FILE } from './instance-lock.js';
import { logFileName } from './log-file-name.js';
import { parseLogFile } from './read-log-file.js';

const API = 'JetRestoreInstance';

/** What `prepareRestore` laid out: the instance recovery then replays it. */
export interface PreparedRestore {
  pageSize: PageSize;
  baseName: string;
  logFileSize: number;
  /** Database signature → restored file, so recovery attaches the copies, never the originals. */
  remap: Map<number, string>;
  genLow: number;
  genHigh: number;
}

function readType(file: string): number {
  const head = Buffer.alloc(Layout.headerSize);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  return head.readUInt32LE(Layout.offFileType);
}

/**
 * Check a backup set and lay it out in `directory` as a crashed instance would leave it: each streamed
 * database without its trailer, the logs under their generation names, and a checkpoint at the oldest
 * generation any database copy needs. Errors: -1811 a file is missing, -1003 not an ESE file or no
 * database, -1018 a page fails its checksum, -612 a log does not verify, -530 logs of another instance,
 * -528 a generation is missing.
 */
export async function prepareRestore(files: string[], directory: string): Promise<PreparedRestore> {
  if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) throw new TypeError('backupFiles must be an array of paths');
  // The caller's lock on the directory is the one file allowed in it.
  if (fs.existsSync(directory) && fs.readdirSync(directory).some((n) => n !== INSTANCE_LOCK_FILE)) {
    throw new JetError(API, JET_err.InvalidPath, { file: directory, detail: 'the restore directory must be empty or absent' });
  }
  const dbs: string[] = [];
  const logs = new Map<number, { file: string; size: number; signature: number; base: string }>();
  let pageSize: PageSize | undefined;
  let genRequired = Infinity;
  for (const file of files) {
    if (!fs.existsSync(file)) throw new JetError(API, JET_err.FileNotFound, { file });
    const type = readType(file);
    if (type === Layout.fileType.database) {
      dbs.push(file);
    } else if (type === Layout.fileType.log) {
      const image = fs.readFileSync(file);
      const parsed = parseLogFile(image);
      if (!parsed || parsed.corrupt)
        throw new JetError(API, JET_err.LogReadVerifyFailure, { file, detail: parsed?.corrupt ?? 'log header does not verify' });
      const gen = parsed.header.generation;
      const base = nodePath.basename(file).replace(/([0-9A-Fa-f]{5}|[0-9A-Fa-f]{8})?\.log$/i, '') || 'edb';
      const prior = logs.get(gen);
      if (prior && !fs.readFileSync(prior.file).equals(image))
        throw new JetError(API, JET_err.BadLogSignature, { file, detail: `two different logs of generation ${gen}` });
      logs.set(gen, { file, size: image.length, signature: parsed.header.logSignature, base });
    } else {
      throw new JetError(API, JET_err.InvalidParameter, { file, detail: 'not an ESE database or log file' });
    }
  }
  if (dbs.length === 0) throw new JetError(API, JET_err.InvalidParameter, { detail: 'a backup set needs at least one database' });
  fs.mkdirSync(directory, { recursive: true });
  const remap = new Map<number, string>();
  for (const file of dbs) {
    const bytes = fs.readFileSync(file);
    const P = bytes.readUInt32LE(Layout.offDbPageSize) as PageSize;
    const header = [4096, 8192, 16384, 32768].includes(P) ? readDatabaseHeader(bytes.subarray(0, P)) : undefined;
    const trailer =
      header && bytes.length >= 3 * P && bytes.length % P === 0 ? readDatabaseHeader(bytes.subarray(bytes.length - P)) : undefined;
    if (!header || !trailer?.trailer)
      throw new JetError(API, JET_err.DatabaseCorrupted, {
        file,
        detail: 'not a streamed database copy (header or trailer page missing or damaged)',
      });
    if (pageSize !== undefined && pageSize !== P)
      throw new JetError(API, JET_err.InvalidParameter, { file, detail: 'databases of different page sizes' });
    pageSize = P;
    const bad = findBadPage(bytes, 0, P, bytes.length / P - 1);
    if (bad >= 0) throw new JetError(API, JET_err.ReadVerifyFailure, { file, detail: `page index ${bad} fails its checksum` });
    const target = nodePath.join(directory, nodePath.basename(file));
    if (fs.existsSync(target)) throw new JetError(API, JET_err.DatabaseDuplicate, { file: target });
    fs.writeFileSync(target, bytes.subarray(0, bytes.length - P));
    remap.set(header.dbSignature, target);
    genRequired = Math.min(genRequired, trailer.genRequired);
  }
  const gens = [...logs.keys()].sort((a, b) => a - b);
  const first = logs.get(gens[0] as number);
  if (!first) throw new JetError(API, JET_err.MissingLogFile, { detail: `no log files: generation ${genRequired} on is needed` });
  for (const [g, l] of logs)
    if (l.signature !== first.signature)
      throw new JetError(API, JET_err.BadLogSignature, { file: l.file, detail: `generation ${g} belongs to another instance` });
  const genLow = gens[0] as number;
  const genHigh = gens[gens.length - 1] as number;
  if (genLow > genRequired)
    throw new JetError(API, JET_err.MissingLogFile, {
      detail: `the databases need logs from generation ${genRequired}; the oldest given is ${genLow}`,
    });
  for (let g = genLow; g <= genHigh; g++)
    if (!logs.has(g)) throw new JetError(API, JET_err.MissingLogFile, { detail: `log generation ${g} is missing` });
  for (const [g, l] of logs) fs.copyFileSync(l.file, nodePath.join(directory, logFileName(first.base, g)));
  await writeCheckpoint(nodePath.join(directory, `${first.base}.chk`), {
    generation: genLow,
    logSignature: first.signature,
    fullBackupBase: 0,
  });
  return {
    pageSize: pageSize as PageSize,
    baseName: first.base,
    logFileSize: Math.max(...[...logs.values()].map((l) => l.size)),
    remap,
    genLow,
    genHigh,
  };
}
