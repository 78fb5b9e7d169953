import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Observable } from 'rxjs';
import type { BackupProgress } from '../backup/index.js';
import { formatBytes } from './format-bytes.js';

/** Options of {@link showProgress}. */
export interface ProgressDisplayOptions {
  /** Where progress goes (stderr: stdout holds the result). */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw a live bar (a TTY) or print plain lines (a pipe, a file, a CI log). */
  tty: boolean;
  /** Wrap the bar in color (off with NO_COLOR). */
  color?: (s: string) => string;
}

/** A running display; `stop` ends it early (the last progress emission ends it too). */
export interface ProgressDisplay {
  stop(): void;
}

const percent = (p: BackupProgress) => (p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 0);

/**
 * Shows a backup's `progress$`: on a TTY a live cli-progress bar (phase, file, bytes, rate, files,
 * ETA); otherwise plain lines, one per phase, per file opened, per 10 % of the bytes and for the
 * outcome, so logs stay short and a script can follow along.
 *
 * @example
 * const display = showProgress(run.progress$, { stream: process.stderr, tty: process.stderr.isTTY === true });
 * await run; display.stop();
 */
export function showProgress(progress$: Observable<BackupProgress>, options: ProgressDisplayOptions): ProgressDisplay {
  const { stream } = options;
  const color = options.color ?? ((s: string) => s);
  const started = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  let phase: string | undefined;
  let file: string | null = null;
  let tenth = -1;
  const rate = (p: BackupProgress) => `${formatBytes(p.bytesDone / Math.max(0.001, (Date.now() - started) / 1000))}/s`;

  const plain = (p: BackupProgress) => {
    if (p.phase !== phase) stream.write(`phase: ${p.phase}${p.outcome ? ` (${p.outcome})` : ''}\n`);
    if (p.file !== null && p.file !== file) stream.write(`file: ${p.file} (${formatBytes(p.fileTotal)})\n`);
    const t = Math.floor(percent(p) / 10);
    if (p.bytesTotal > 0 && t > tenth && p.bytesDone > 0) {
      tenth = t;
      stream.write(
        `progress: ${percent(p)}% ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}, files ${p.filesDone}/${p.filesTotal}, ${rate(p)}\n`,
      );
    }
  };

  const live = (p: BackupProgress) => {
    const payload = {
      phase: (p.outcome ?? p.phase).padEnd(10),
      file: p.file === null ? '' : path.basename(p.file),
      done: formatBytes(p.bytesDone),
      all: formatBytes(p.bytesTotal),
      speed: rate(p),
      files: `${p.filesDone}/${p.filesTotal}`,
    };
    if (!bar) {
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${color('{bar}')} {percentage}% | {phase} {file} | {done} of {all} | {speed} | files {files} | ETA {eta_formatted}`,
          hideCursor: true,
          barsize: 24,
          fps: 10,
          etaBuffer: 40,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(1, p.bytesTotal), p.bytesDone, payload);
    }
    bar.setTotal(Math.max(1, p.bytesTotal));
    bar.update(p.bytesDone, payload);
    if (p.phase === 'done') {
      bar.stop();
      bar = undefined;
    }
  };

  const subscription = progress$.subscribe((p) => {
    if (options.tty) live(p);
    else plain(p);
    phase = p.phase;
    file = p.file;
  });
  return {
    stop() {
      subscription.unsubscribe();
      bar?.stop();
      bar = undefined;
    },
  };
}
