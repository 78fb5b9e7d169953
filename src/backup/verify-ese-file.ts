import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { EseFileReport } from './ese-file-report.js';
import { EseFileVerifier, type EseFileVerifierOptions } from './ese-file-verifier.js';
import { describeFileType, SetFileError } from './open-set-file.js';
import { forEachFileChunk } from './read-file-chunks.js';
import { nodeVerifyFs, type VerifyFileHandle, type VerifyFs } from './verify-fs.js';

/** Options of {@link verifyEseFile}. */
export interface VerifyEseFileOptions extends EseFileVerifierOptions {
  /** The open and the handle's `fstat`, reads and close (default node:fs); the fault campaign fails each in turn. */
  fs?: Pick<VerifyFs, 'open'>;
}

/** A failed call of the verify: names the file and the operation, keeps the errno `code`. */
function ioError(file: string, operation: string, e: unknown): SetFileError {
  const code = (e as NodeJS.ErrnoException).code;
  return new SetFileError(`${file}: ${operation} failed: ${(e as Error).message}`, file, code);
}

/** What {@link verifyEseFile} reports: the {@link EseFileReport} of the file, with where it was read. */
export interface EseFileVerification extends EseFileReport {
  path: string;
  /** The file was gzip-compressed and verified as it unpacked. */
  gzip: boolean;
}

/**
 * Verifies one ESE file, made by Windows or by the embedded engine, streaming it (a `.gz` is unpacked
 * on the fly, recognised by its magic bytes): a database's header, shadow, every data page and, for a
 * streamed backup copy, its trailer; a log's header (checksum, generation, sector and page size, the
 * size its header announces) and, for the embedded engine's logs, every record's CRC-32 and the zero
 * tail; a checkpoint's header and shadow. Lists every problem with its page, not just the first.
 *
 * ESE rule (reference §6): the seeded XOR checksum of headers, the XOR/ECC checksum of data pages
 * (`pgno = index − 1`), all-zero pages valid; file type at offset 667.
 *
 * @param path the file (`.gz` accepted).
 * @param options `streamed`: whether a database ends with a trailer page (default `'auto'`); `fs`: the
 *   file-system calls (default node:fs).
 * @returns the report; a damaged gzip stream is reported as a problem, not thrown.
 * @throws SetFileError naming the file, the operation (`open`, `fstat`, `read`, `close`) and keeping the
 *   errno `code` when a call fails (ENOENT, EACCES, EIO); SetFileError when it is not a regular file (a
 *   FIFO, device or directory is never read: it could block or never end).
 * @example
 * const r = await verifyEseFile('SRUDB.dat');
 * if (!r.ok) for (const bad of r.badPages) console.log(bad.index, bad.pgno, bad.reason);
 */
export async function verifyEseFile(path: string, options: VerifyEseFileOptions = {}): Promise<EseFileVerification> {
  if (typeof path !== 'string' || path === '') throw new TypeError('verifyEseFile: path must be a non-empty string');
  if (options.fs !== undefined && typeof options.fs?.open !== 'function') throw new TypeError('verifyEseFile: options.fs must have open');
  const io = options.fs ?? nodeVerifyFs;
  const verifier = new EseFileVerifier(options);
  // A symlink the caller named is followed; what it names must be a regular file (O_NONBLOCK: a FIFO cannot block the open).
  let handle: VerifyFileHandle;
  try {
    handle = await io.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw ioError(path, 'open', e);
  }
  let streamError: string | undefined;
  let gzip: boolean;
  let failed = true;
  try {
    const stat = await handle.stat().catch((e: unknown) => Promise.reject(ioError(path, 'fstat', e)));
    if (!stat.isFile()) throw new SetFileError(`${path} is ${describeFileType(stat)}, not a regular file`, path);
    const reads = {
      read: (buffer: Uint8Array, offset: number, length: number, position: number) =>
        handle.read(buffer, offset, length, position).catch((e: unknown) => Promise.reject(ioError(path, 'read', e))),
    };
    gzip = await isGzip(reads);
    if (gzip) {
      // A read that fails is the file system's error, thrown; only the stream's own damage is a problem of the file.
      let readError: unknown;
      const gunzip = createGunzip();
      const done = pipeline(Readable.from(fileChunks(reads, (e) => (readError = e))), gunzip);
      try {
        for await (const chunk of gunzip as AsyncIterable<Buffer>) verifier.push(chunk);
        await done;
      } catch (e) {
        await done.catch(() => undefined);
        if (readError !== undefined) throw readError;
        streamError = `gzip stream is damaged: ${(e as Error).message}`;
      }
      if (readError !== undefined) throw readError;
    } else {
      await forEachFileChunk(path, (chunk) => verifier.push(chunk), { handle: reads });
    }
    failed = false;
  } finally {
    // A close that fails after a failed read must not hide the read's error.
    const closed = handle.close().catch((e: unknown) => Promise.reject(ioError(path, 'close', e)));
    if (failed) await closed.catch(() => undefined);
    else await closed;
  }
  const report = verifier.finish();
  if (streamError) {
    report.badPages.push({ index: Math.floor(report.bytes / report.pageSize), pgno: null, reason: streamError });
    report.ok = false;
  }
  return { path, gzip, ...report };
}

type Reads = Pick<VerifyFileHandle, 'read'>;

/** The file's bytes from the start, 1 MiB at a time; a read that fails is handed to `onError` and ends the stream. */
async function* fileChunks(file: Reads, onError: (e: unknown) => void): AsyncGenerator<Buffer> {
  for (let position = 0; ;) {
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    let bytesRead: number;
    try {
      ({ bytesRead } = await file.read(buffer, 0, buffer.length, position));
    } catch (e) {
      onError(e);
      throw e;
    }
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

async function isGzip(file: Reads): Promise<boolean> {
  const magic = new Uint8Array(2);
  const { bytesRead } = await file.read(magic, 0, 2, 0);
  return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}
