import type { EngineBackupRecord } from './embedded-engine-api.js';
import fs from 'node:fs';
import type { DatabaseFile } from './database-file.js';
import type { LogStreamVerifier } from './log-stream-verifier.js';

/** The one backup file an instance may have open (ESE's handle is always 0). */
export interface OpenBackupFile {
  kind: 'database' | 'log';
  path: string;
  size: number;
  offset: number;
  db?: DatabaseFile;
  /** Database: pages 1..lastPgno as on disk at Open. */
  lastPgno?: number;
  trailer?: Uint8Array;
  /** Log: its generation, and from the first read its descriptor and stream verifier. */
  generation?: number;
  fd?: number;
  verifier?: LogStreamVerifier;
}

/**
 * ESE's per-instance backup flags (reference §3), kept imperatively so that the statechart can be
 * tested against them: in progress, the stop flag, the phase, the open handle, the copy and truncate
 * ranges, and which logs were read to EOF and closed.
 */
export class BackupState {
  inProgress = false;
  stopped = false;
  incremental = false;
  phase: 'databases' | 'logs' = 'databases';
  open: OpenBackupFile | undefined;
  rangesFixed = false;
  genCopyMin = 0;
  genCopyMax = 0;
  genDeleteMin = 0;
  genDeleteMax = 0;
  readToEof = new Set<number>();
  /** Circular logging keeps logs from here on while a backup runs. */
  holdGeneration: number | undefined;
  /** Pending GetLogInfo roll, so two concurrent calls roll once. */
  fixing: Promise<void> | undefined;
  record: EngineBackupRecord | undefined;

  /** Begin: a new session; clears the stop flag. */
  start(incremental: boolean, genCopyMin: number): void {
    this.inProgress = true;
    this.stopped = false;
    this.incremental = incremental;
    this.phase = incremental ? 'logs' : 'databases';
    this.open = undefined;
    this.rangesFixed = false;
    this.genCopyMin = genCopyMin;
    this.genCopyMax = 0;
    this.genDeleteMin = 0;
    this.genDeleteMax = 0;
    this.readToEof = new Set();
    this.holdGeneration = genCopyMin;
    this.record = { incremental, end: undefined, truncated: false };
  }

  /** Forget the open backup file, releasing its descriptor. */
  closeOpen(): void {
    if (this.open?.fd !== undefined) fs.closeSync(this.open.fd);
    this.open = undefined;
  }

  /** End, a kill by the engine, or Term: the session is over; the stop flag is cleared. */
  finish(end: NonNullable<EngineBackupRecord['end']>, killedBy?: number): void {
    this.inProgress = false;
    this.stopped = false;
    this.closeOpen();
    this.holdGeneration = undefined;
    if (this.record) {
      this.record.end = end;
      if (killedBy !== undefined) this.record.killedBy = killedBy;
    }
  }
}
