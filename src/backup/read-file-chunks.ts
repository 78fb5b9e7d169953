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
    const read = (i: number) => file.read(buffers[i & 1]!, 0, chunkSize, position).then(({ bytesRead }) => ((position += bytesRead), bytesRead));
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
