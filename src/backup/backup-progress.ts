/** Where a run is. `done` is the last emission and carries the outcome. */
export type BackupPhase = 'starting' | 'databases' | 'logs' | 'committing' | 'verifying' | 'truncating' | 'ending' | 'done';

/** How a run ended, decided by the runner from its own record of the sequence (End's return code proves nothing). */
export type BackupOutcomeKind = 'completed' | 'stopped' | 'aborted' | 'failed';

/**
 * One emission of `progress$`: the phase, the file being copied and how far, and the totals known so
 * far (`bytesTotal` grows as ESE lists files; a database streams its size on disk plus 3 pages).
 */
export interface BackupProgress {
  phase: BackupPhase;
  /** The path ESE named for the file being copied, or `null` between files. */
  file: string | null;
  fileBytes: number;
  fileTotal: number;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Set on the last emission (`phase: 'done'`). */
  outcome?: BackupOutcomeKind;
}

/**
 * The runner's counters behind `progress$`: it adds files as ESE lists them and bytes as they are
 * read (the last few chunks may still be on their way to the set: only a `completed` outcome says the
 * set holds them), and hands a fresh snapshot to `emit` at each step.
 *
 * @example
 * const p = new ProgressTracker((s) => subject.next(s)); p.listed([['/db/a.edb', 8192]]); p.opened('/db/a.edb', 20480);
 */
export class ProgressTracker {
  private readonly state: BackupProgress = {
    phase: 'starting',
    file: null,
    fileBytes: 0,
    fileTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    filesDone: 0,
    filesTotal: 0,
  };
  /** Size estimates of listed files not opened yet. */
  private readonly estimates = new Map<string, number>();

  constructor(private readonly emit: (progress: BackupProgress) => void) {}

  /** Emits the current state. */
  update(changes: Partial<BackupProgress> = {}): void {
    Object.assign(this.state, changes);
    this.emit({ ...this.state });
  }

  /** ESE listed these files (GetAttachInfo, GetLogInfo) with their sizes on disk as estimates. */
  listed(files: ReadonlyArray<readonly [string, number]>, phase: BackupPhase): void {
    for (const [file, estimate] of files) {
      this.estimates.set(file, estimate);
      this.state.bytesTotal += estimate;
    }
    this.update({ phase, filesTotal: this.state.filesTotal + files.length });
  }

  /** Open announced `size`: it replaces the estimate. */
  opened(file: string, size: number): void {
    this.state.bytesTotal += size - (this.estimates.get(file) ?? 0);
    this.estimates.delete(file);
    this.update({ file, fileBytes: 0, fileTotal: size });
  }

  /** `n` more bytes of the open file were read and handed on to be hashed and written. */
  wrote(n: number): void {
    this.state.fileBytes += n;
    this.state.bytesDone += n;
    this.update();
  }

  /** The open file was read to EOF and closed. */
  closed(): void {
    this.update({ file: null, filesDone: this.state.filesDone + 1 });
  }
}
