import fs from 'node:fs';
import path from 'node:path';
import { readEseFileHeader } from '../engine/format/ese-file-header.js';
import { parseLogFileName } from '../engine/log-file-name.js';
import type { JetBackupApi, JetInstance } from '../jet/index.js';
import type { BackupManifest } from './backup-manifest.js';
import type { ProgressTracker } from './backup-progress.js';
import type { BackupSetWriter } from './backup-set-writer.js';
import { hashableBuffer, warmChunkHasher } from './chunk-hasher.js';
import { ChunkBufferPool, copyBackupFile } from './copy-backup-file.js';

/** Read buffers: one is read into while the chunks of the others are hashed and written. */
const PIPELINE_DEPTH = 4;
/** Copied files finishing (last writes, fdatasync, digest) at once while the next ones are read. */
const MAX_FINISHING = 4;

/**
 * The run's own record of the copy: the files ESE listed (GetAttachInfo, GetLogInfo2) and those read
 * to EOF and closed, the log range, and the page size the headers gave. Filled as the copy goes, so
 * a copy that stops part-way still says what it listed and what it copied.
 */
export interface CopyRecord {
  listed: string[];
  copied: Set<string>;
  /** GetLogInfo2's range, `null` until it listed a log. */
  logGenerations: BackupManifest['logGenerations'];
  pageSize: number | undefined;
}

/** What {@link copyListedFiles} works with: the session (after Begin), the set being written, and the run's hooks. */
export interface CopyListedFilesContext {
  session: JetBackupApi;
  inst: JetInstance;
  mode: 'full' | 'incremental';
  /** Bytes per JetReadFileInstance. */
  readSize: number;
  writer: BackupSetWriter;
  progress: ProgressTracker;
  /** Whether the run has a reason to end (a stop, an abort, a failure): asked before each file and each read. */
  interrupted: () => boolean;
  /** Track work that must settle before End, commit or discard (its failure fails the run). */
  inBackground: <T>(work: Promise<T>) => Promise<T>;
}

/** Creates an empty {@link CopyRecord}. */
export function emptyCopyRecord(): CopyRecord {
  return { listed: [], copied: new Set(), logGenerations: null, pageSize: undefined };
}

/**
 * The copy phase of a run, inside a begun session: every database of GetAttachInfo (full), then
 * every log of GetLogInfo2, each read to EOF and closed (`copyBackupFile`) into a file of the set. A
 * copied file is finished in the background (its last chunks hashed and written, fdatasync, digest)
 * while the next one is read, a few at a time; the caller settles that work (`inBackground`).
 * Returns early, with `record` saying how far it got, once `interrupted()` says so.
 *
 * ESE rule (reference §3): databases first, then the logs GetLogInfo lists; one file open at a time.
 *
 * @throws JetError from the session; the sink's open or write error.
 * @example
 * const record = emptyCopyRecord();
 * await copyListedFiles({ session, inst, mode: 'full', readSize, writer, progress, interrupted, inBackground }, record);
 */
export async function copyListedFiles(ctx: CopyListedFilesContext, record: CopyRecord): Promise<void> {
  const { session, inst, writer, progress, interrupted } = ctx;
  warmChunkHasher();
  const pool = ChunkBufferPool.take(PIPELINE_DEPTH, ctx.readSize, hashableBuffer);
  const finishing = new Set<Promise<void>>();
  const copyAll = async (files: string[], role: 'db' | 'log', generationOf: (file: string, i: number) => number | undefined) => {
    record.listed.push(...files);
    progress.listed(
      files.map((f) => [f, sizeOnDisk(f)] as const),
      role === 'db' ? 'databases' : 'logs',
    );
    for (const [i, file] of files.entries()) {
      if (interrupted()) return;
      let first = true;
      // The destination file is created while ESE opens the source.
      const sink = ctx.inBackground(writer.addFile(path.basename(file), role, file, generationOf(file, i)));
      const copied = await copyBackupFile(file, {
        session,
        inst,
        pool,
        sink: async (size) => {
          progress.opened(file, size);
          return sink;
        },
        onChunk: (n, chunk) => {
          if (first && chunk.length >= 4096) learnPageSize(record, chunk, role);
          first = false;
          progress.wrote(n);
        },
        interrupted,
      });
      // Stopped or aborted: End2(Abort) comes first; the writer's discard removes this sink after it.
      if (copied.end !== 'eof') return;
      record.copied.add(file);
      progress.closed();
      // The file's last chunks, fdatasync and digest finish while the next files are read. A few at a
      // time: many small logs then share journal commits, and the thread pool keeps room for the copy.
      while (finishing.size >= MAX_FINISHING) await Promise.race(finishing);
      const finished = ctx.inBackground(copied.drained.then(() => copied.sink.close())).then(
        () => undefined,
        () => undefined,
      );
      finishing.add(finished);
      void finished.then(() => finishing.delete(finished));
    }
  };
  try {
    if (ctx.mode === 'full') await copyAll(await session.getAttachInfo(inst), 'db', () => undefined);
    if (interrupted()) return;
    const info = await session.getLogInfo2(inst);
    record.logGenerations = info.files.length > 0 ? { low: info.genLow, high: info.genHigh } : null;
    await copyAll(info.files, 'log', (file, i) => parseLogFileName(info.baseName, file) ?? info.genLow + i);
  } finally {
    // Kept for the process's next run once the chunks still on their way gave their buffers back.
    pool.giveBack();
  }
}

const sizeOnDisk = (file: string): number => {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
};

/** The set's page size, from the first database header (or the first log's, without a database). */
function learnPageSize(record: CopyRecord, chunk: Uint8Array, role: 'db' | 'log'): void {
  try {
    const h = readEseFileHeader(chunk);
    if ((h.fileType === 'database' && role === 'db') || (h.fileType === 'log' && record.pageSize === undefined))
      record.pageSize ??= h.pageSize;
  } catch {
    // A damaged header: verification reports it.
  }
}
