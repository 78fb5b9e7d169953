import type { JetBackupApi, JetInstance } from '../jet/index.js';
import type { BackupFileSink } from './backup-file-sink.js';

/** What {@link copyBackupFile} needs besides the file: where to write, the read buffers, and when to give up. */
export interface CopyBackupFileOptions {
  session: JetBackupApi;
  inst: JetInstance;
  /** Two buffers of the read size (a multiple of the page size): one is read while the other is written. */
  buffers: readonly [Uint8Array, Uint8Array];
  /** Opens the destination once the source is open, with the size Open announced. */
  sink: (size: number) => Promise<BackupFileSink>;
  /** Called once each chunk was written (synchronously: the chunk's buffer is read into again later). */
  onChunk?: (n: number, chunk: Uint8Array) => void;
  /** Asked before every read: `true` ends the copy early (the file is still closed). */
  interrupted?: () => boolean;
}

/** How a copy ended: `eof` read to 0 bytes and closed; `interrupted` given up before EOF (closed when possible). */
export type CopyBackupFileResult = { end: 'eof'; sink: BackupFileSink } | { end: 'interrupted'; sink: BackupFileSink | undefined };

/**
 * Streams one file through the ESE session into a sink: Open, Read until 0 bytes, Close. Two buffers
 * are pipelined: the next `JetReadFileInstance` runs while the previous chunk is written. The file is
 * closed whatever happens (Close is allowed after a stop); a read error (-801 after a stop, -1018, -612)
 * is raised after the close, with the sink left for the caller to discard.
 *
 * ESE rule (reference §3): one file open at a time; read to EOF (0 bytes) and closed is what counts
 * as copied; Close is not checked against the stop flag.
 *
 * @throws JetError from Open, Read or Close (Close errors only when the copy itself succeeded).
 * @example
 * const { end, sink } = await copyBackupFile(db, { session, inst, buffers, sink: () => writer.addFile('a.edb', 'db', db) });
 */
export async function copyBackupFile(source: string, options: CopyBackupFileOptions): Promise<CopyBackupFileResult> {
  const { session, inst, buffers, onChunk, interrupted } = options;
  const { handle, size } = await session.openFile(inst, source);
  let sink: BackupFileSink | undefined;
  let writing: Promise<void> = Promise.resolve();
  let end: 'eof' | 'interrupted' = 'interrupted';
  try {
    sink = await options.sink(Number(size));
    for (let i = 0; !interrupted?.(); i++) {
      const buffer = buffers[i & 1]!;
      const n = await session.readFile(inst, handle, buffer);
      await writing;
      if (n === 0) {
        end = 'eof';
        break;
      }
      const chunk = buffer.subarray(0, n);
      const target = sink;
      writing = target.write(chunk).then(() => onChunk?.(n, chunk));
    }
    await writing;
  } catch (e) {
    await writing.catch(() => undefined);
    await session.closeFile(inst, handle).catch(() => undefined);
    throw e;
  }
  if (end === 'interrupted') {
    await session.closeFile(inst, handle).catch(() => undefined);
    return { end, sink };
  }
  await session.closeFile(inst, handle);
  return { end, sink: sink! };
}
