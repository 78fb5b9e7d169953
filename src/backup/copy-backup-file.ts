import type { JetBackupApi, JetInstance } from '../jet/index.js';
import type { BackupFileSink } from './backup-file-sink.js';
import type { ChunkBufferPool } from './chunk-buffer-pool.js';

export { ChunkBufferPool } from './chunk-buffer-pool.js';

/** What {@link copyBackupFile} needs besides the file: where to write, the read buffers, and when to give up. */
export interface CopyBackupFileOptions {
  session: JetBackupApi;
  inst: JetInstance;
  /**
   * The read buffers (a multiple of the page size each): one is read into while the chunks in the
   * others are hashed and written. Buffers from `hashableBuffer` are hashed off-thread.
   */
  pool: ChunkBufferPool;
  /** Opens the destination once the source is open, with the size Open announced. */
  sink: (size: number) => Promise<BackupFileSink>;
  /** Called with each chunk as it was read, in file order, before it goes to the sink (synchronously: a throw fails the copy). */
  onChunk?: (n: number, chunk: Uint8Array) => void;
  /** Asked before every read: `true` ends the copy early (the file is still closed). */
  interrupted?: () => boolean;
}

/**
 * How a copy ended: `eof` read to 0 bytes and closed, with `drained` settling once every chunk was
 * hashed and written (rejecting with a write's or a hash's error); `interrupted` given up before EOF
 * (closed when possible).
 */
export type CopyBackupFileResult =
  { end: 'eof'; sink: BackupFileSink; drained: Promise<void> } | { end: 'interrupted'; sink: BackupFileSink | undefined };

/**
 * Streams one file through the ESE session into a sink: Open, Read until 0 bytes, Close. The reads
 * are pipelined over the pool's buffers: while `JetReadFileInstance` fills one, the chunks in the
 * others are hashed and written; a buffer goes back to the pool once its chunk is done. The ESE file
 * is closed as soon as the last read answered 0 bytes, with chunks possibly still on their way to the
 * sink (`drained` tells when they arrived), so the next file can be opened meanwhile. The ESE file is
 * closed whatever happens (Close is allowed after a stop); a read error (-801 after a stop, -1018,
 * -612) or a write error is raised after the close, with the sink left for the caller to discard.
 *
 * When the copy ends early (interrupted or an error), chunks may still be in flight in the sink;
 * `discard` waits for the write under way (not for the hashing), and a stopped run reads nothing more.
 *
 * ESE rule (reference §3): one file open at a time; read to EOF (0 bytes) and closed is what counts
 * as copied; Close is not checked against the stop flag.
 *
 * @throws JetError from Open, Read or Close (Close errors only when the copy itself succeeded); the sink's write error.
 * @example
 * const r = await copyBackupFile(db, { session, inst, pool, sink: () => writer.addFile('a.edb', 'db', db) });
 * if (r.end === 'eof') { await r.drained; await r.sink.close(); }
 */
export async function copyBackupFile(source: string, options: CopyBackupFileOptions): Promise<CopyBackupFileResult> {
  const { session, inst, pool, onChunk, interrupted } = options;
  const { handle, size } = await session.openFile(inst, source);
  let sink: BackupFileSink | undefined;
  let end: 'eof' | 'interrupted' = 'interrupted';
  /** Settles once every chunk handed to the sink so far is done, in file order; never rejects. */
  let chain: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  try {
    sink = await options.sink(Number(size));
    const target = sink;
    while (!failure && !interrupted?.()) {
      const buffer = await pool.acquire();
      if (failure || interrupted?.()) {
        pool.release(buffer);
        break;
      }
      let n: number;
      try {
        n = await session.readFile(inst, handle, buffer);
      } catch (e) {
        pool.release(buffer);
        throw e;
      }
      if (n === 0) {
        pool.release(buffer);
        end = 'eof';
        break;
      }
      const chunk = buffer.subarray(0, n);
      try {
        onChunk?.(n, chunk);
      } catch (e) {
        pool.release(buffer);
        throw e;
      }
      const written = target.write(chunk).then(
        () => undefined,
        (error: unknown) => void (failure ??= { error }),
      );
      chain = Promise.all([chain, written]).then(() => pool.release(buffer));
    }
  } catch (e) {
    await session.closeFile(inst, handle).catch(() => undefined);
    throw e;
  }
  if (end === 'interrupted' || failure) {
    await session.closeFile(inst, handle).catch(() => undefined);
    if (failure) throw failure.error;
    return { end: 'interrupted', sink };
  }
  await session.closeFile(inst, handle);
  const drained = chain.then(() => {
    if (failure) throw failure.error;
  });
  return { end, sink: sink!, drained };
}
