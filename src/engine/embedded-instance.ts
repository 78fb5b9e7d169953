import fs from 'node:fs';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { JET_err, JetError } from '../jet/index.js';
import type { PageSize } from './embedded-engine-api.js';
import { BackupState } from './backup-state.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint-file.js';
import { DatabaseFile } from './database-file.js';
import { checkpointFileName, logFileName, parseLogFileName } from './log-file-name.js';
import { takeInstanceLockWrites } from './engine-faults.js';
import { lockInstanceDirectory, type InstanceLock } from './instance-lock.js';
import { encodeLogRecord, LogOp, type LogRecord } from './log-record.js';
import { LogWriter } from './log-writer.js';
import { parseLogFile } from './read-log-file.js';

/** Resolved instance options. */
export interface InstanceConfig {
  pageSize: PageSize;
  logFileSize: number;
  circularLogging: boolean;
  recovery: boolean;
  baseName: string;
}

export type InstanceState = 'created' | 'initializing' | 'initialized' | 'terminating' | 'terminated';

/**
 * One embedded ESE instance: its directory, transaction log, checkpoint and attached databases,
 * plus the backup flags (`backup`). Storage only; the backup rules live in `embedded-backup.ts`.
 */
export class EmbeddedInstance {
  state: InstanceState = 'created';
  /** JetStopServiceInstance2(All) was called: backup calls answer -1329 until term. */
  serviceStopped = false;
  /** Term2(Complete) was refused during a backup: Begin answers -523 until init again. */
  backupNotAllowed = false;
  readonly backup = new BackupState();
  readonly databases = new Map<number, DatabaseFile>();
  log: LogWriter | undefined;
  /** The directory's lock, held from JetInit until term: one owner per instance directory. */
  lock: InstanceLock | undefined;
  checkpointGeneration = 0;
  fullBackupBase = 0;
  /** The log stream's random identity (ESE's signLog): in every log header and backup trailer. */
  logSignature = 0;
  private lsn = 0;
  private nextDbid = 1;

  constructor(
    readonly handle: bigint,
    readonly name: string,
    readonly directory: string,
    readonly config: InstanceConfig,
  ) {}

  get checkpointPath(): string {
    return path.join(this.directory, checkpointFileName(this.config.baseName));
  }

  /** Full path of log `generation` (the current log under its current name). */
  logPath(generation: number): string {
    const current = this.log && generation === this.log.generation;
    return path.join(this.directory, logFileName(this.config.baseName, current ? 'current' : generation));
  }

  /** Generations of the log files on disk, ascending, the current log included. */
  logGenerations(): number[] {
    const gens: number[] = [];
    for (const name of fs.readdirSync(this.directory)) {
      const g = parseLogFileName(this.config.baseName, name);
      if (g !== undefined) gens.push(g);
    }
    if (this.log) gens.push(this.log.generation);
    return gens.sort((a, b) => a - b);
  }

  /**
   * JetInit: lock the directory (unless `lock`, taken by the caller, is given), then start fresh, or
   * recover from the checkpoint and the logs on disk. On failure the lock is released.
   */
  async init(remap?: Map<number, string>, lock?: InstanceLock): Promise<void> {
    this.state = 'initializing';
    if (!lock) fs.mkdirSync(this.directory, { recursive: true });
    this.lock = lock ?? lockInstanceDirectory(this.directory, 'JetInit', takeInstanceLockWrites(this));
    try {
      await this.initLocked(remap);
    } catch (e) {
      this.releaseLock();
      throw e;
    }
  }

  /** Drop the directory lock (at term, or when init fails). */
  releaseLock(): void {
    this.lock?.release();
    this.lock = undefined;
  }

  private async initLocked(remap?: Map<number, string>): Promise<void> {
    const chk = this.config.recovery ? readCheckpoint(this.checkpointPath) : undefined;
    if (!this.config.recovery) {
      this.state = 'initialized';
      return;
    }
    if (!chk) {
      this.logSignature = randomInt(1, 0xffffffff);
      this.log = await LogWriter.create(this.writerOptions(), 1);
      this.checkpointGeneration = 1;
      await this.writeCheckpointFile();
    } else {
      this.logSignature = chk.logSignature;
      this.fullBackupBase = chk.fullBackupBase;
      await this.recover(chk.generation, remap);
    }
    this.state = 'initialized';
  }

  private writerOptions() {
    return {
      directory: this.directory,
      baseName: this.config.baseName,
      pageSize: this.config.pageSize,
      logFileSize: this.config.logFileSize,
      logSignature: this.logSignature,
      attachments: () => [...this.databases.values()].map((d) => ({ dbid: d.dbid, dbSignature: d.dbSignature, path: d.path })),
      afterRoll: () => this.checkpoint(),
    };
  }

  /** Replay every log from the checkpoint generation on, then continue (or start) the current log. */
  private async recover(fromGeneration: number, remap?: Map<number, string>): Promise<void> {
    const gens = this.logGenerations().filter((g) => g >= fromGeneration);
    const currentPath = path.join(this.directory, logFileName(this.config.baseName, 'current'));
    let expected = fromGeneration;
    let currentEnd: { generation: number; offset: number } | undefined;
    const replay = (file: string, isCurrent: boolean) => {
      const parsed = parseLogFile(fs.readFileSync(file));
      if (!parsed) throw new JetError('JetInit', JET_err.LogReadVerifyFailure, { file, detail: 'log header does not verify' });
      if (parsed.header.logSignature !== this.logSignature) throw new JetError('JetInit', JET_err.BadLogSignature, { file });
      if (parsed.header.generation !== expected)
        throw new JetError('JetInit', JET_err.MissingLogFile, {
          file,
          detail: `expected generation ${expected}, found ${parsed.header.generation}`,
        });
      if (parsed.corrupt && !isCurrent) throw new JetError('JetInit', JET_err.LogReadVerifyFailure, { file, detail: parsed.corrupt });
      for (const a of parsed.header.attachments)
        this.attachForReplay(a.dbid, remap ? remap.get(a.dbSignature) : a.path, remap ? undefined : a.dbSignature);
      for (const r of parsed.records) this.replay(r, remap);
      expected += 1;
      return parsed;
    };
    for (const g of gens) replay(path.join(this.directory, logFileName(this.config.baseName, g)), false);
    if (fs.existsSync(currentPath)) {
      const parsed = replay(currentPath, true);
      currentEnd = { generation: parsed.header.generation, offset: parsed.end };
    } else if (gens.length === 0) {
      throw new JetError('JetInit', JET_err.MissingLogFile, { file: currentPath, detail: `no log from generation ${fromGeneration}` });
    }
    this.log = currentEnd
      ? LogWriter.open(this.writerOptions(), currentEnd.generation, currentEnd.offset)
      : await LogWriter.create(this.writerOptions(), expected);
    await this.checkpoint();
  }

  /**
   * During a restore (`remap`), databases that are not in the backup set are left alone. Otherwise a
   * database missing at its logged path is looked for under its file name in the instance directory
   * (the instance was moved, as an atomic restore moves it into place) and used only when its
   * signature is the logged one.
   */
  private attachForReplay(dbid: number, file: string | undefined, dbSignature?: number): void {
    if (file === undefined || this.databases.has(dbid)) return;
    const moved = dbSignature !== undefined && !fs.existsSync(file) ? path.join(this.directory, path.basename(file)) : undefined;
    const target = moved !== undefined && fs.existsSync(moved) ? moved : file;
    const db = DatabaseFile.open(target, dbid, 'JetInit');
    if (target !== file && db.dbSignature !== dbSignature) {
      db.closeAbrupt();
      throw new JetError('JetInit', JET_err.FileNotFound, { file, detail: `missing; ${target} is another database (signature differs)` });
    }
    this.databases.set(dbid, db);
    this.nextDbid = Math.max(this.nextDbid, dbid + 1);
    this.lsn = Math.max(this.lsn, db.maxLsn);
  }

  private replay(r: LogRecord, remap?: Map<number, string>): void {
    this.lsn = Math.max(this.lsn, r.lsn);
    if (r.op === LogOp.attach) {
      const sig = new DataView(r.value.buffer, r.value.byteOffset, 4).getUint32(0, true);
      this.attachForReplay(r.dbid, remap ? remap.get(sig) : r.key, remap ? undefined : sig);
      return;
    }
    this.databases.get(r.dbid)?.apply(r.op, r.lsn, r.key, r.value);
  }

  /** Create or attach a database and log its attachment. */
  async addDatabase(file: string, create: boolean, api: string): Promise<DatabaseFile> {
    for (const d of this.databases.values()) {
      if (d.path === file) {
        if (create) throw new JetError(api, JET_err.DatabaseDuplicate, { file });
        return d;
      }
    }
    if (this.nextDbid > 255) throw new JetError(api, JET_err.OutOfMemory, { detail: 'too many databases', file });
    const dbid = this.nextDbid++;
    const db = create ? DatabaseFile.create(file, dbid, this.config.pageSize) : DatabaseFile.open(file, dbid, api);
    if (!create && db.pageSize !== this.config.pageSize) {
      db.closeAbrupt();
      throw new JetError(api, JET_err.InvalidParameter, {
        file,
        detail: `database page size ${db.pageSize} differs from the instance's ${this.config.pageSize}`,
      });
    }
    this.databases.set(dbid, db);
    this.lsn = Math.max(this.lsn, db.maxLsn);
    if (this.log) {
      const sig = new Uint8Array(4);
      new DataView(sig.buffer).setUint32(0, db.dbSignature, true);
      await this.log.append(encodeLogRecord({ op: LogOp.attach, dbid, lsn: ++this.lsn, key: file, value: sig }), () => undefined);
    } else {
      await db.flush();
    }
    return db;
  }

  /** Log a change ahead, apply it once durable. Without logging, write the pages at once. */
  async write(db: DatabaseFile, op: typeof LogOp.put | typeof LogOp.delete, key: string, value: Uint8Array): Promise<void> {
    const lsn = ++this.lsn;
    if (!this.log) {
      db.apply(op, lsn, key, value);
      await db.flush();
      return;
    }
    await this.log.append(encodeLogRecord({ op, dbid: db.dbid, lsn, key, value }), () => db.apply(op, lsn, key, value));
  }

  /** Flush every database's pages, then advance the checkpoint to the current log; circular logging deletes older logs. */
  async checkpoint(): Promise<void> {
    const generation = this.log?.generation ?? 0;
    await Promise.all([...this.databases.values()].map((d) => d.flush()));
    this.checkpointGeneration = generation;
    await this.writeCheckpointFile();
    if (this.config.circularLogging) {
      const keep = Math.min(generation, this.backup.holdGeneration ?? Infinity);
      for (const g of this.logGenerations()) if (g < keep) fs.rmSync(this.logPath(g), { force: true });
    }
  }

  async writeCheckpointFile(): Promise<void> {
    if (!this.config.recovery) return;
    await writeCheckpoint(this.checkpointPath, {
      generation: this.checkpointGeneration,
      logSignature: this.logSignature,
      fullBackupBase: this.fullBackupBase,
    });
  }

  /** Roll the log now (waiting for queued writes), which checkpoints; resolves with the new current generation. */
  async roll(): Promise<number> {
    if (!this.log) throw new JetError('JetGetLogInfoInstance', JET_err.LoggingDisabled);
    return this.log.roll();
  }

  /** JetTerm: clean (flush, checkpoint, databases marked clean) or abrupt (logs only). */
  async terminate(clean: boolean): Promise<void> {
    this.state = 'terminating';
    try {
      if (this.log) await this.log.idle();
      if (clean) {
        await this.checkpoint();
        for (const d of this.databases.values()) await d.close();
      } else {
        for (const d of this.databases.values()) d.closeAbrupt();
      }
      await this.log?.close();
    } finally {
      this.state = 'terminated';
      this.releaseLock();
    }
  }
}
