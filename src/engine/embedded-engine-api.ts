import type { JetBackupApi, JetInstance } from '../jet/index.js';

/** Page sizes ESE supports for the embedded engine. */
export type PageSize = 4096 | 8192 | 16384 | 32768;

/** Options of `createInstance`, like the JetSetSystemParameter values they stand for. */
export interface InstanceOptions {
  /** Database page size in bytes (default 4096). */
  pageSize?: PageSize;
  /** Bytes per log file before it rolls (default 1 MiB; at least 64 KiB, a multiple of 4096). */
  logFileSize?: number;
  /** Delete logs below the checkpoint automatically (default false). Incremental backups then answer -526. */
  circularLogging?: boolean;
  /** false = logging disabled: no logs, and Begin answers -516 (default true). */
  recovery?: boolean;
  /** Three-character log base name (default 'edb'): logs are `edb.log`, `edb00001.log`, … */
  baseName?: string;
  /** The instance's directory (default `<engine directory>/<name>`), e.g. a restored instance moved into place. */
  directory?: string;
}

/** A key/value database inside an embedded instance. Writes are logged ahead and durable when they resolve. */
export interface EmbeddedDatabase {
  /** Absolute path of the database file. */
  readonly path: string;
  readonly instance: JetInstance;
  /** Insert or replace; durable (logged and fsynced) when it resolves. */
  put(key: string, value: Uint8Array | string): Promise<void>;
  /** Remove; resolves with whether the key existed. */
  delete(key: string): Promise<boolean>;
  /** The committed value, or undefined. */
  get(key: string): Uint8Array | undefined;
  /** Committed entries in key order. */
  entries(): Array<[string, Uint8Array]>;
  /** Number of keys. */
  readonly size: number;
}

/** Faults a test can inject; each damages real files or the real read path. */
export type EngineFault =
  /** Flip a byte inside database page `pgno` on disk: a backup read of it answers -1018. */
  | { kind: 'corruptPage'; database: string; pgno: number }
  /** Flip a byte inside archived log `generation`: a backup read of it answers -612 and kills the session. */
  | { kind: 'corruptLog'; generation: number }
  /** Delete archived log `generation`: opening it answers -569 and kills the session. */
  | { kind: 'missingLog'; generation: number }
  /** The next backup read of `file` (any file when omitted) fails with `err` (default -1022, JET_errDiskIO). */
  | { kind: 'readError'; file?: string; err?: number }
  /**
   * The next JetTruncateLogInstance deletes `after` logs of its range (oldest first, real files), then
   * fails with `err` (default -1022, JET_errDiskIO): a truncation that fails part-way, as ESE's can.
   */
  | { kind: 'truncateError'; after: number; err?: number }
  /**
   * The next JetInit of this instance (created, not yet initialized: the one fault that may be injected
   * before JetInit) fails `call` of writing its holder into the directory's lock file
   * (`ese-backup-instance.lock`) with errno `code`, as a full (ENOSPC) or failing (EIO) disk would.
   */
  | { kind: 'instanceLockWrite'; call: 'ftruncate' | 'write'; code: 'ENOSPC' | 'EIO' };

/** How the engine classified a finished backup session (ESE records it; End's return code does not tell). */
export type EngineBackupEnd = 'normal' | 'abortedByServer' | 'abortedByCaller' | 'killed';

/** The engine's record of the last backup session of an instance. */
export interface EngineBackupRecord {
  incremental: boolean;
  end: EngineBackupEnd | undefined;
  /** Error that killed the session, when `end === 'killed'`. */
  killedBy?: number;
  /** Copy range [genCopyMin, genCopyMax), once fixed by GetLogInfo. */
  genCopyMin?: number;
  genCopyMax?: number;
  truncated: boolean;
}

/** A read-only view of an instance, for tests, tools and the demo. */
export interface EmbeddedInstanceInfo {
  name: string;
  directory: string;
  pageSize: PageSize;
  baseName: string;
  logFileSize: number;
  circularLogging: boolean;
  recovery: boolean;
  state: 'created' | 'initialized' | 'serviceStopped' | 'terminated';
  currentGeneration: number;
  checkpointGeneration: number;
  /** Generations of the log files on disk, ascending (the current log included). */
  logGenerations: number[];
  databases: string[];
}

/** What `restore` built. */
export interface RestoredInstance {
  instance: JetInstance;
  directory: string;
  databases: EmbeddedDatabase[];
  /** Generations replayed, inclusive. */
  genLow: number;
  genHigh: number;
}

/**
 * The embedded engine: a TypeScript transcription of ESE's streaming-backup rules over real files.
 * It implements `JetBackupApi` and adds the instance and data calls a test or demo needs.
 */
export interface EmbeddedEngine extends JetBackupApi {
  readonly directory: string;
  /** JetCreateInstance: files go to `<directory>/<name>/`. -1086 for a name in use. */
  createInstance(name: string, options?: InstanceOptions): Promise<JetInstance>;
  /** JetInit: create or recover the instance's logs and checkpoint. */
  init(inst: JetInstance): Promise<void>;
  /** Create a database file (relative names are inside the instance directory). -1201 if it exists. */
  createDatabase(inst: JetInstance, fileName: string): Promise<EmbeddedDatabase>;
  /** Attach an existing database file. -1811 if it does not exist. */
  attachDatabase(inst: JetInstance, fileName: string): Promise<EmbeddedDatabase>;
  /** A snapshot of the instance's state. */
  instanceInfo(inst: JetInstance): EmbeddedInstanceInfo;
  /** The engine's record of the last backup session, if any. */
  lastBackup(inst: JetInstance): EngineBackupRecord | undefined;
  /** Damage real files or the read path for a test. */
  injectFault(inst: JetInstance, fault: EngineFault): Promise<void>;
  /**
   * Build a new instance in `directory` from backed-up database files (streamed form) and log files,
   * and replay the logs: the result holds exactly what was committed up to the last log given.
   */
  restore(backupFiles: string[], options: { directory: string; name?: string }): Promise<RestoredInstance>;
  /** Terminate every live instance. */
  close(): Promise<void>;
}
