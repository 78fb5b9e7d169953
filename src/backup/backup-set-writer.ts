import fs from 'node:fs';
import path from 'node:path';
import { BackupFileSink, type BackupFileSinkOptions } from './backup-file-sink.js';
import { lstatIfAny, makeDirectoryDurably, nodeBackupFs, syncDirectory, writeNewFile, type BackupFs } from './backup-fs.js';
import { ownBackupLock, removeBackupLock, writeBackupLock } from './backup-lock.js';
import {
  MANIFEST_FORMAT,
  MANIFEST_NAME,
  MANIFEST_VERSION,
  serializeBackupManifest,
  type BackupManifest,
  type BackupManifestFile,
} from './backup-manifest.js';
import { backupSetPaths, type BackupSetPaths } from './backup-set-names.js';
import { newSetDigest, type FileDigestAlgorithm } from './file-digest.js';
import { toolVersion } from './tool-version.js';
import { writeManifestSignature } from './manifest-signature.js';
import { RecheckReadError, WrittenFileRecheck, type RecheckedFile } from './written-file-recheck.js';

/** Options of {@link BackupSetWriter.create}. */
export interface BackupSetWriterOptions {
  /** The set's final directory; it must not exist. Its parent is created if needed. */
  to: string;
  /** How each file is written (background fdatasync interval). */
  sink?: BackupFileSinkOptions;
  mode: BackupManifest['mode'];
  instance: BackupManifest['instance'];
  /** When the run began (default now). */
  startTime?: Date;
  /** The file-system calls (default node:fs; a test wraps them to count or fail them). */
  fs?: BackupFs;
  /** HMAC-SHA-256 key: `commit` writes `manifest.sig` beside the manifest (see `manifest-signature.ts`). */
  signKey?: Uint8Array;
  /**
   * The digest of every file, named in the manifest: default BLAKE3, or SHA-256 (with a process
   * warning) when BLAKE3's package cannot be loaded here; `'blake3'` given explicitly must load.
   */
  digest?: FileDigestAlgorithm;
}

/** Raised when another live run holds the set's lock, or the set already exists. */
export class BackupSetBusyError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'BackupSetBusyError';
  }
}

/**
 * Writes a backup set that cannot lie: files go into a temporary directory next to the destination
 * (`.<name>.partial-<pid>-<random>`), hashed as they are written; `commit` writes `manifest.json`
 * last, fsyncs it and the directory, and one atomic rename gives the set its final name. Until then
 * nothing exists under the final name. A lock file (pid, instance, start time) marks the run, so
 * `cleanOrphans` can remove what a killed run leaves.
 *
 * @example
 * const w = await BackupSetWriter.create({ to: '/backups/mon', mode: 'full', instance });
 * const sink = await w.addFile('data.edb', 'db', source); await sink.write(chunk); await sink.close();
 * await w.commit({ pageSize: 4096, logGenerations: { low: 3, high: 5 } }); await w.release();
 */
export class BackupSetWriter {
  /** Manifest entries in the order the files were added, each set once its file closed. */
  private readonly slots: (BackupManifestFile | undefined)[] = [];
  private readonly open = new Set<BackupFileSink>();
  /** Every sink added (with `sink.recheck`, each re-reads its file behind the writer). */
  private readonly sinks: BackupFileSink[] = [];
  private readonly rechecks: WrittenFileRecheck[] = [];
  private readonly names = new Set<string>();
  private state: 'writing' | 'committed' | 'discarded' = 'writing';
  private locked = true;
  private written: BackupManifest | undefined;
  /** The committed set stays: TruncateLog was called (see `keep`). */
  private kept = false;

  private constructor(
    readonly paths: BackupSetPaths,
    private readonly fs: BackupFs,
    private readonly options: BackupSetWriterOptions & { startTime: Date },
    /** The set's file digest (named in its manifest). */
    readonly digest: FileDigestAlgorithm,
  ) {}

  /**
   * Take the lock and create the temporary directory.
   * @throws BackupSetBusyError when the set exists or a lock holds its name.
   */
  static async create(options: BackupSetWriterOptions): Promise<BackupSetWriter> {
    if (typeof options?.to !== 'string' || options.to === '') throw new TypeError('BackupSetWriter: to must be a non-empty path');
    if (options.mode !== 'full' && options.mode !== 'incremental')
      throw new RangeError(`BackupSetWriter: mode must be 'full' or 'incremental', got ${String(options.mode)}`);
    // Before anything is written: an algorithm that cannot be computed here is refused up front.
    const digest = newSetDigest(options.digest);
    const paths = backupSetPaths(options.to);
    const startTime = options.startTime ?? new Date();
    const io = options.fs ?? nodeBackupFs;
    await makeDirectoryDurably(io, path.dirname(paths.final));
    await refuseExisting(io, paths.final, 'already exists');
    const held = await writeBackupLock(paths.lock, ownBackupLock(options.instance, paths.temporary, startTime), io);
    if (held)
      throw new BackupSetBusyError(
        `backup set ${paths.final} is locked by pid ${held.pid} on ${held.hostname} since ${held.startTime}`,
        paths.lock,
      );
    try {
      // Again under the lock: a run that committed the name between the first look and the lock.
      await refuseExisting(io, paths.final, 'already exists');
      await io.mkdir(paths.temporary);
    } catch (e) {
      await removeBackupLock(paths.lock, io).catch(() => undefined);
      throw e;
    }
    return new BackupSetWriter(paths, io, { ...options, startTime }, digest);
  }

  /** Whether the set was renamed to its final name (and not withdrawn since). */
  get committed(): boolean {
    return this.state === 'committed';
  }

  /** The manifest `commit` wrote (once it got as far as the rename). */
  get manifest(): BackupManifest | undefined {
    return this.written;
  }

  /** Manifest entries of the files closed so far, in the order they were added. */
  get entries(): readonly BackupManifestFile[] {
    return this.slots.filter((f): f is BackupManifestFile => f !== undefined);
  }

  /** Start a file of the set; a name already used gets a numeric prefix (two databases of the same name). */
  async addFile(name: string, role: BackupManifestFile['role'], source: string, generation?: number): Promise<BackupFileSink> {
    if (this.state !== 'writing') throw new Error(`backup set ${this.paths.final}: addFile after ${this.state}`);
    let unique = path.basename(name);
    for (let i = 2; this.names.has(unique) || unique === MANIFEST_NAME; i++) unique = `${i}-${path.basename(name)}`;
    this.names.add(unique);
    const file = path.join(this.paths.temporary, unique);
    const handle = await this.fs.open(file, 'wx');
    const entry = { name: unique, role, source, ...(generation === undefined ? {} : { generation }) };
    const slot = this.slots.push(undefined) - 1;
    const recheck = this.options.sink?.recheck ? new WrittenFileRecheck(file, role, this.digest, this.fs) : undefined;
    if (recheck) this.rechecks.push(recheck);
    const sink = new BackupFileSink(
      file,
      handle,
      entry,
      (done) => {
        this.open.delete(sink);
        this.slots[slot] = done;
      },
      { ...this.options.sink, digest: this.digest },
      this.fs,
      recheck,
    );
    this.open.add(sink);
    this.sinks.push(sink);
    return sink;
  }

  /**
   * The rechecks of the files closed so far (with `sink.recheck`), by name: every byte of each re-read
   * after it was written. A recheck that failed is left out (`verifyBackupSet` then reads that file;
   * a read of the file system that failed is also in {@link recheckReadErrors}, and fails the run).
   */
  async rechecked(): Promise<Map<string, RecheckedFile>> {
    const done = new Map<string, RecheckedFile>();
    for (const sink of this.sinks) {
      const r = await sink.rechecked?.catch(() => undefined);
      if (r) done.set(r.name, r);
    }
    return done;
  }

  /**
   * The re-reads behind the writer (with `sink.recheck`) whose read of the set failed: an open, read or
   * fstat through the run's `BackupFs` threw, or bytes written were missing. A recheck that failed
   * otherwise (its hashing thread) is not here: `verifyBackupSet` reads that file again.
   */
  async recheckReadErrors(): Promise<RecheckReadError[]> {
    const failed: RecheckReadError[] = [];
    for (const sink of this.sinks) {
      const e: unknown = await sink.rechecked?.then(
        () => undefined,
        (error: unknown) => error,
      );
      if (e instanceof RecheckReadError) failed.push(e);
    }
    return failed;
  }

  /**
   * Write `manifest.json` last, fsync it and the directory, rename the temporary directory to the final
   * name (atomic), and fsync the parent. Returns the manifest.
   * @throws BackupSetBusyError when the final name appeared meanwhile; Error when a file is still open.
   */
  async commit(details: Pick<BackupManifest, 'pageSize' | 'logGenerations'>): Promise<BackupManifest> {
    if (this.state !== 'writing') throw new Error(`backup set ${this.paths.final}: commit after ${this.state}`);
    if (this.open.size > 0) throw new Error(`backup set ${this.paths.final}: ${this.open.size} file(s) still open`);
    const { mode, instance, startTime } = this.options;
    const files = this.entries;
    const text = serializeBackupManifest({
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      digest: this.digest,
      mode,
      pageSize: details.pageSize,
      logGenerations: details.logGenerations,
      instance,
      startTime: startTime.toISOString(),
      endTime: new Date().toISOString(),
      tool: toolVersion(),
      files: [
        ...files.filter((f) => f.role === 'db'),
        ...files.filter((f) => f.role === 'log').sort((a, b) => (a.generation ?? 0) - (b.generation ?? 0)),
      ],
    });
    await writeNewFile(this.fs, path.join(this.paths.temporary, MANIFEST_NAME), Buffer.from(text));
    // Before the rename: a signed set never stands under its final name without its signature.
    if (this.options.signKey) await writeManifestSignature(this.paths.temporary, text, this.options.signKey, this.fs);
    await syncDirectory(this.fs, this.paths.temporary);
    // rename(2) would replace an empty directory (or a link): refuse any existing final name instead.
    await refuseExisting(this.fs, this.paths.final, 'appeared while it was written');
    this.written = JSON.parse(text) as BackupManifest;
    await this.fs.rename(this.paths.temporary, this.paths.final);
    this.state = 'committed';
    await syncDirectory(this.fs, path.dirname(this.paths.final));
    return this.written;
  }

  /**
   * Keep the committed set whatever happens next: `discard` no longer takes it back. Called before
   * TruncateLog, after which the set may hold the only copy of the logs deleted.
   * @throws Error before the commit.
   */
  keep(): void {
    if (this.state !== 'committed') throw new Error(`backup set ${this.paths.final}: keep before the commit`);
    this.kept = true;
  }

  /** Remove everything written (before commit), or take a committed set back out of its final name (unless kept). */
  async discard(): Promise<void> {
    // A file that cannot be removed alone goes with the temporary directory below.
    for (const sink of [...this.open]) await sink.discard().catch(() => undefined);
    this.open.clear();
    // Rechecks still reading closed files: nothing will use them.
    await Promise.all(this.rechecks.map((r) => r.dispose()));
    if (this.kept) return;
    if (this.state === 'committed') {
      // One rename takes the whole set away from its final name; removing it can then take its time.
      await this.fs.rename(this.paths.final, this.paths.temporary);
      this.state = 'discarded';
      await syncDirectory(this.fs, path.dirname(this.paths.final));
    }
    this.state = 'discarded';
    await this.fs.removeTree(this.paths.temporary);
  }

  /**
   * Remove the lock file: the run is over (idempotent). The unlink is tried twice.
   * @throws the file system's error when the lock stays (see `removeBackupLock`).
   */
  async release(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    await removeBackupLock(this.paths.lock, this.fs);
  }
}

/**
 * Refuse a final name that anything holds: a set, a file, or a symbolic link (even a dangling one,
 * which `existsSync` would not see: it follows links).
 */
async function refuseExisting(io: BackupFs, final: string, what: string): Promise<void> {
  const st = await lstatIfAny(io, final);
  if (!st) return;
  if (st.isSymbolicLink()) {
    const target = (() => {
      try {
        return fs.readlinkSync(final);
      } catch {
        return '?';
      }
    })();
    throw new BackupSetBusyError(`backup set ${final} is a symbolic link (to ${target}): a set is never written through a link`, final);
  }
  throw new BackupSetBusyError(`backup set ${final} ${what}`, final);
}
