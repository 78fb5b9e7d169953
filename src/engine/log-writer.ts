import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { JET_err, JetError } from '../jet/index.js';
import { Layout } from './engine-layout.js';
import { encodeLogFileHeader, type LogAttachment } from './log-file-header.js';
import { logFileName } from './log-file-name.js';

const fdatasync = promisify(fs.fdatasync);
const write = promisify(fs.write);

export interface LogWriterOptions {
  directory: string;
  baseName: string;
  pageSize: number;
  logFileSize: number;
  logSignature: number;
  /** The databases to name in each new log's header. */
  attachments: () => LogAttachment[];
  /** Runs after every roll, before the next write: the instance checkpoints here. */
  afterRoll: (generation: number) => Promise<void>;
}

type Entry =
  | { kind: 'write'; bytes: Uint8Array; apply: () => void; resolve: () => void; reject: (e: unknown) => void }
  | { kind: 'roll'; resolve: (gen: number) => void; reject: (e: unknown) => void };

/**
 * Writes an instance's transaction log ahead of its pages: records are appended to the current log
 * (`edb.log`) and made durable with one fdatasync per batch (group commit); each record's `apply`
 * runs once it is durable. A log rolls when the next record would pass `logFileSize`, or on demand
 * (GetLogInfo): it is renamed to its generation's name and a new current log is started.
 */
export class LogWriter {
  private queue: Entry[] = [];
  private draining: Promise<void> | undefined;
  private failed: JetError | undefined;

  private constructor(
    private readonly opts: LogWriterOptions,
    private fd: number,
    public generation: number,
    public offset: number,
  ) {}

  /** Start a new current log of `generation`. */
  static async create(opts: LogWriterOptions, generation: number): Promise<LogWriter> {
    const fd = await LogWriter.newLogFile(opts, generation);
    return new LogWriter(opts, fd, generation, Layout.headerSize);
  }

  /** Continue the existing current log at `offset` (after recovery). */
  static open(opts: LogWriterOptions, generation: number, offset: number): LogWriter {
    const fd = fs.openSync(path.join(opts.directory, logFileName(opts.baseName, 'current')), 'r+');
    return new LogWriter(opts, fd, generation, offset);
  }

  private static async newLogFile(opts: LogWriterOptions, generation: number): Promise<number> {
    const tmp = path.join(opts.directory, `${opts.baseName}tmp.log`);
    const header = encodeLogFileHeader({
      generation,
      fileSize: opts.logFileSize,
      pageSize: opts.pageSize,
      logSignature: opts.logSignature,
      attachments: opts.attachments(),
    });
    const fd = fs.openSync(tmp, 'w+');
    fs.writeSync(fd, header, 0, header.length, 0);
    fs.ftruncateSync(fd, opts.logFileSize);
    await fdatasync(fd);
    fs.renameSync(tmp, path.join(opts.directory, logFileName(opts.baseName, 'current')));
    await syncDirectory(opts.directory);
    return fd;
  }

  /** Append one encoded record; resolves once it is durable and applied. */
  append(bytes: Uint8Array, apply: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'write', bytes, apply, resolve, reject });
      this.kick();
    });
  }

  /** Roll now (after what is queued); resolves with the new current generation. */
  roll(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'roll', resolve, reject });
      this.kick();
    });
  }

  /** Wait for everything queued. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private kick(): void {
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      if (this.failed) {
        for (const e of batch) e.reject(this.failed);
        continue;
      }
      let run: Array<Extract<Entry, { kind: 'write' }>> = [];
      try {
        for (const e of batch) {
          if (e.kind === 'roll') {
            await this.commit(run);
            run = [];
            e.resolve(await this.doRoll());
            continue;
          }
          const pending = run.reduce((n, r) => n + r.bytes.length, 0);
          if (this.offset + pending + e.bytes.length > this.opts.logFileSize && this.offset + pending > Layout.headerSize) {
            await this.commit(run);
            run = [];
            await this.doRoll();
          }
          run.push(e);
        }
        await this.commit(run);
      } catch (err) {
        this.failed = new JetError('JetCommitTransaction', JET_err.LogWriteFail, { cause: err, detail: String(err) });
        for (const e of batch) e.reject(this.failed);
      }
    }
  }

  private async commit(run: Array<Extract<Entry, { kind: 'write' }>>): Promise<void> {
    if (run.length === 0) return;
    const buf = run.length === 1 ? (run[0] as (typeof run)[0]).bytes : Buffer.concat(run.map((r) => r.bytes));
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await write(this.fd, buf, done, buf.length - done, this.offset + done);
      done += bytesWritten;
    }
    await fdatasync(this.fd);
    this.offset += buf.length;
    for (const r of run) {
      r.apply();
      r.resolve();
    }
  }

  private async doRoll(): Promise<number> {
    const { directory, baseName } = this.opts;
    await fdatasync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    await fsp.rename(path.join(directory, logFileName(baseName, 'current')), path.join(directory, logFileName(baseName, this.generation)));
    this.generation += 1;
    this.fd = await LogWriter.newLogFile(this.opts, this.generation);
    this.offset = Layout.headerSize;
    await this.opts.afterRoll(this.generation);
    return this.generation;
  }

  /** Wait for the queue, then close the current log. */
  async close(): Promise<void> {
    await this.idle();
    if (this.fd >= 0) {
      await fdatasync(this.fd);
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/** fsync a directory so renames and creations in it are durable. */
export async function syncDirectory(directory: string): Promise<void> {
  const fd = fs.openSync(directory, 'r');
  try {
    await fdatasync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
