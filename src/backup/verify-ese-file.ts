import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { EseFileReport } from './ese-file-report.js';
import { EseFileVerifier, type EseFileVerifierOptions } from './ese-file-verifier.js';
import { describeFileType, SetFileError } from './open-set-file.js';
import { forEachFileChunk } from './read-file-chunks.js';

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
 * @param options `streamed`: whether a database ends with a trailer page (default `'auto'`).
 * @returns the report; a damaged gzip stream is reported as a problem, not thrown.
 * @throws the file system's error when the file cannot be opened (ENOENT, EACCES); SetFileError when
 *   it is not a regular file (a FIFO, device or directory is never read: it could block or never end).
 * @example
 * const r = await verifyEseFile('SRUDB.dat');
 * if (!r.ok) for (const bad of r.badPages) console.log(bad.index, bad.pgno, bad.reason);
 */
export async function verifyEseFile(path: string, options: EseFileVerifierOptions = {}): Promise<EseFileVerification> {
  if (typeof path !== 'string' || path === '') throw new TypeError('verifyEseFile: path must be a non-empty string');
  const verifier = new EseFileVerifier(options);
  // A symlink the caller named is followed; what it names must be a regular file (O_NONBLOCK: a FIFO cannot block the open).
  const handle = await fsp.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  let streamError: string | undefined;
  let gzip: boolean;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SetFileError(`${path} is ${describeFileType(stat)}, not a regular file`, path);
    gzip = await isGzip(handle);
    if (gzip) {
      const gunzip = createGunzip();
      const done = pipeline(handle.createReadStream({ start: 0, autoClose: false }), gunzip);
      try {
        for await (const chunk of gunzip as AsyncIterable<Buffer>) verifier.push(chunk);
        await done;
      } catch (e) {
        await done.catch(() => undefined);
        streamError = `gzip stream is damaged: ${(e as Error).message}`;
      }
    } else {
      await forEachFileChunk(path, (chunk) => verifier.push(chunk), { handle });
    }
  } finally {
    await handle.close();
  }
  const report = verifier.finish();
  if (streamError) {
    report.badPages.push({ index: Math.floor(report.bytes / report.pageSize), pgno: null, reason: streamError });
    report.ok = false;
  }
  return { path, gzip, ...report };
}

async function isGzip(file: FileHandle): Promise<boolean> {
  const magic = new Uint8Array(2);
  const { bytesRead } = await file.read(magic, 0, 2, 0);
  return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}
