import path from 'node:path';
import { manifestDigestAlgorithm, manifestFileDigest, type BackupManifest, type BackupManifestFile } from './backup-manifest.js';
import { createChunkHasher } from './chunk-hasher.js';
import { digestLabel, type FileDigestAlgorithm } from './file-digest.js';
import type { EseFileReport } from './ese-file-report.js';
import { EseFileVerifier } from './ese-file-verifier.js';
import { openSetFile } from './open-set-file.js';
import { printableName } from './problem-cap.js';
import { forEachFileChunk } from './read-file-chunks.js';
import type { BackupSetFileCheck, BackupSetProblem } from './verify-backup-set.js';
import { fileIdentity, sameIdentity, type RecheckedFile } from './written-file-recheck.js';
import { nodeVerifyFs, type VerifyFileHandle, type VerifyFs } from './verify-fs.js';

/** Without a usable manifest nothing says how large a file should be: larger ones are not read (bounded work). */
const MAX_UNLISTED_READ = 1024 ** 3;

/**
 * Checks one file of a set against its manifest entry (or, without one, as an ESE file): reads it
 * once (hash and ESE checks on the same chunks), or takes `prechecked`, a re-read of this very file
 * made while it was written, when `fstat` shows the same unchanged file (device, inode, size, mtime,
 * ctime) and it computed the manifest's digest. The digest is the algorithm the manifest names
 * (SHA-256 for a version 1 set, and without a usable manifest). Its problems are pushed to `problems`; `undefined` when it was not read. Through `io`
 * (node:fs by default).
 *
 * @throws SetFileError when the file cannot be opened as a regular file; the file system's read error.
 * @example
 * const check = await checkSetFile(path.join(dir, 'data.edb'), entry, manifest, problems, buffers);
 */
export async function checkSetFile(
  file: string,
  entry: BackupManifestFile | undefined,
  manifest: BackupManifest | undefined,
  problems: { push(problem: BackupSetProblem): void },
  buffers: Uint8Array[],
  prechecked?: RecheckedFile,
  io: VerifyFs = nodeVerifyFs,
): Promise<BackupSetFileCheck | undefined> {
  const name = path.basename(file);
  const shown = printableName(name);
  // Opened without following a symlink and without blocking on a FIFO; fstat says what it really is.
  const { handle, size } = await openSetFile(file, { io });
  try {
    if (entry && entry.size !== size) {
      // Not read: its bytes cannot match, and the manifest's size must not decide how much is read.
      problems.push({ kind: 'size', file: name, message: `${shown} is ${size} bytes; the manifest says ${entry.size} (not read further)` });
      return undefined;
    }
    if (!entry && size > MAX_UNLISTED_READ) {
      problems.push({
        kind: 'io',
        file: name,
        message: `${shown} is ${size} bytes and no usable manifest says what it should be: not read (files over ${MAX_UNLISTED_READ} bytes are read only against a manifest)`,
      });
      return undefined;
    }
    const algorithm: FileDigestAlgorithm = manifest ? manifestDigestAlgorithm(manifest) : 'sha256';
    const reuse =
      entry &&
      prechecked &&
      prechecked.role === entry.role &&
      prechecked.algorithm === algorithm &&
      sameIdentity(prechecked.identity, fileIdentity(await handle.stat({ bigint: true })));
    const { digest, ese } = reuse ? prechecked : await readAndCheck(file, handle, entry, buffers, algorithm);
    const role = entry?.role ?? (ese.fileType === 'database' ? 'db' : ese.fileType === 'log' ? 'log' : 'unknown');
    if (entry && entry.size !== ese.bytes)
      problems.push({ kind: 'size', file: name, message: `${shown} is ${ese.bytes} bytes; the manifest says ${entry.size}` });
    const expectedDigest = entry && manifest ? manifestFileDigest(manifest, entry) : undefined;
    if (expectedDigest !== undefined && expectedDigest !== digest)
      problems.push({
        kind: 'digest',
        file: name,
        message: `${shown}: ${digestLabel(algorithm)} ${digest} differs from the manifest's ${expectedDigest}`,
      });
    const kind = role === 'log' ? 'log' : 'page';
    for (const bad of ese.badPages)
      problems.push({
        kind,
        file: name,
        index: bad.index,
        pgno: bad.pgno,
        message: `${shown}: page ${bad.index}${bad.pgno === null ? '' : ` (pgno ${bad.pgno})`}: ${bad.reason}`,
      });
    const expected = role === 'db' ? 'database' : role === 'log' ? 'log' : undefined;
    if (expected && ese.header && ese.fileType !== expected)
      problems.push({
        kind,
        file: name,
        index: 0,
        pgno: null,
        message: `${shown}: the header says ${ese.fileType}, the manifest ${expected}`,
      });
    const h = ese.header;
    if (manifest && h && (h.fileType === 'database' || h.fileType === 'log') && h.checksumOk && h.pageSize !== manifest.pageSize) {
      problems.push({
        kind,
        file: name,
        index: 0,
        pgno: null,
        message: `${shown}: page size ${h.pageSize}, the manifest says ${manifest.pageSize}`,
      });
    }
    if (entry?.role === 'log' && h?.fileType === 'log' && h.checksumOk && h.generation !== entry.generation) {
      problems.push({
        kind: 'log',
        file: name,
        index: 0,
        pgno: null,
        message: `${shown}: the header says generation ${h.generation}, the manifest ${entry.generation}`,
      });
    }
    return { name, role, bytes: ese.bytes, algorithm, digest, ese };
  } finally {
    await handle.close();
  }
}

/** Reads the open file once: its digest (on a hashing thread) and the ESE checks, on the same chunks. */
async function readAndCheck(
  file: string,
  handle: VerifyFileHandle,
  entry: BackupManifestFile | undefined,
  buffers: Uint8Array[],
  algorithm: FileDigestAlgorithm,
): Promise<{ digest: string; ese: EseFileReport }> {
  const hasher = createChunkHasher(algorithm);
  const verifier = new EseFileVerifier({ streamed: entry ? entry.role === 'db' : 'auto' });
  try {
    await forEachFileChunk(
      file,
      (chunk) => {
        const hashed = hasher.update(chunk);
        verifier.push(chunk);
        return hashed;
      },
      { buffers, handle },
    );
  } catch (e) {
    hasher.dispose();
    throw e;
  }
  const ese = verifier.finish();
  return { ese, digest: await hasher.digest() };
}
