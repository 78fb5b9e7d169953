import fsp from 'node:fs/promises';

/** Options of {@link readFileChunks}. */
export interface ReadFileChunksOptions {
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
}

/**
 * Reads a file in chunks with the next read already running while the caller handles the current
 * chunk (two buffers, as the backup copy does). Each chunk is valid until the caller asks for the
 * next one; it starts 8-aligned, so checksum code can view it as words without copying.
 *
 * @example
 * for await (const chunk of readFileChunks('/backups/set/data.edb')) hash.update(chunk);
 */
export async function* readFileChunks(path: string, options: ReadFileChunksOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
  const chunkSize = options.chunkSize ?? 1024 * 1024;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  const file = await fsp.open(path, 'r');
  try {
    const buffers = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)] as const;
    let position = 0;
    const read = (i: number) =>
      file.read(buffers[i & 1]!, 0, chunkSize, position).then(({ bytesRead }) => ((position += bytesRead), bytesRead));
    let pending = read(0);
    for (let i = 0; ; i++) {
      const n = await pending;
      if (n === 0) return;
      pending = read(i + 1);
      // Keep the next read from being an unhandled rejection while the caller holds this chunk.
      pending.catch(() => undefined);
      yield buffers[i & 1]!.subarray(0, n);
    }
  } finally {
    await file.close();
  }
}

/** Options of {@link forEachFileChunk}. */
export interface ForEachFileChunkOptions {
  /**
   * The read buffers, at least two of the same size (the chunk size): while `onChunk` handles one
   * chunk, the next is read into another. Default: two of 1 MiB.
   */
  buffers?: readonly Uint8Array[];
  /** An already opened file to read instead of opening `path` (it is left open: the caller closes it). */
  handle?: { read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> };
}

/**
 * Reads a file in order, handing each chunk to `onChunk` while the next read already runs. `onChunk`
 * may return a promise (the chunk being hashed elsewhere, say): its buffer is read into again only
 * once that settled, so with more than two buffers slow consumers and reads overlap. Chunks are
 * handed over in file order; each starts 8-aligned when its buffer does.
 *
 * @throws the file system's error, or the first error `onChunk` threw or rejected with (after the file closed).
 * @example
 * await forEachFileChunk(file, (chunk) => hasher.update(chunk), { buffers });
 */
export async function forEachFileChunk(
  path: string,
  onChunk: (chunk: Uint8Array) => Promise<void> | void,
  options: ForEachFileChunkOptions = {},
): Promise<void> {
  const buffers = options.buffers ?? [new Uint8Array(1024 * 1024), new Uint8Array(1024 * 1024)];
  if (buffers.length < 2 || buffers.some((b) => b.length === 0 || b.length !== buffers[0]!.length))
    throw new RangeError('forEachFileChunk: at least two buffers of the same, non-zero size');
  const owned = options.handle ? undefined : await fsp.open(path, 'r');
  const file = options.handle ?? owned!;
  /** Chunks whose `onChunk` has not settled, oldest first. */
  const busy: { done: Promise<void>; buffer: Uint8Array }[] = [];
  const spare = [...buffers];
  let failure: { error: unknown } | undefined;
  let reading: Promise<number> | undefined;
  try {
    let position = 0;
    let buffer = spare.pop()!;
    const read = (into: Uint8Array, at: number) => file.read(into, 0, into.length, at).then(({ bytesRead }) => bytesRead);
    reading = read(buffer, position);
    while (!failure) {
      const n = await reading;
      reading = undefined;
      if (n === 0) break;
      position += n;
      let next = spare.pop();
      if (!next) {
        const oldest = busy.shift()!;
        await oldest.done;
        next = oldest.buffer;
        if (failure) break;
      }
      // The next read runs on the thread pool while onChunk handles this chunk.
      reading = read(next, position);
      reading.catch(() => undefined);
      let done: Promise<void>;
      try {
        done = Promise.resolve(onChunk(buffer.subarray(0, n)));
      } catch (error) {
        done = Promise.reject(error);
      }
      busy.push({ done: done.catch((error: unknown) => void (failure ??= { error })), buffer });
      buffer = next;
    }
  } finally {
    await reading?.catch(() => undefined);
    await Promise.all(busy.map((c) => c.done));
    await owned?.close();
  }
  if (failure) throw failure.error;
}
