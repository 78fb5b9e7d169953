/**
 * Counts the calls of a run (file system and engine alike, one sequence) and fails call number
 * `failAt` with the error `errorFor` makes for it. Armed for one run at a time.
 */
export class FaultPlan {
  /** Calls made since the last `arm`. */
  count = 0;
  /** The call to fail (1-based), or 0 for none. */
  failAt = 0;
  /**
   * Fail call `failAt` and every file-system call after it (a disk that died, a file system that
   * filled up), not just that one. JET calls after it pass: the engine itself is not broken.
   */
  persistent = false;
  /** What each call was, `kind target`, in the order made (since the last `arm`). */
  readonly calls: string[] = [];
  /** The call that was failed, once it was. */
  failed: string | undefined;
  private errorFor: (kind: string, k: number) => Error = () => new Error('unarmed');
  private active = false;

  /** Count from 0 again, failing call `failAt` (0: none) with `errorFor(kind, k)`. */
  arm(failAt: number, errorFor: (kind: string, k: number) => Error = this.errorFor, persistent = false): void {
    this.count = 0;
    this.failAt = failAt;
    this.persistent = persistent;
    this.failed = undefined;
    this.calls.length = 0;
    this.errorFor = errorFor;
    this.active = true;
  }

  /** Stop counting: calls outside a run (the checks, the next backup) pass untouched. */
  disarm(): void {
    this.active = false;
  }

  /** One call about to be made: throws the injected error when it is the one to fail. */
  tick(kind: string, target = ''): void {
    if (!this.active) return;
    this.count++;
    this.calls.push(`${kind} ${target}`);
    if (this.count === this.failAt || (this.persistent && this.failAt > 0 && this.count > this.failAt && kind.startsWith('fs.'))) {
      this.failed ??= `#${this.count} ${kind} ${target}${this.persistent ? ' and every file-system call after it' : ''}`;
      throw this.errorFor(kind, this.count);
    }
  }
}

/** An errno-style error as node:fs raises it. */
export function errnoError(code: 'EIO' | 'ENOSPC' | 'EACCES', syscall: string, file: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: injected fault, ${syscall} '${file}'`);
  e.code = code;
  e.errno = { EIO: -5, ENOSPC: -28, EACCES: -13 }[code];
  e.syscall = syscall;
  e.path = file;
  return e;
}
