/** Which queue a native call waits in: long calls that hold a thread for a while, or short control calls. */
export type AsyncLane = 'bulk' | 'control';

/**
 * Bounded concurrency for the binding's `.async` calls. Each one holds a libuv pool thread (4 by default,
 * shared with `fs`, `zlib`, `crypto`) for its whole duration. Bulk calls (a 1 MiB read, JetInit's recovery,
 * a restore) run at most `maxBulk` at once, first come first served across every instance, so several
 * backups take turns instead of one holding every thread; control calls (Begin, End, Term, lists, Open,
 * Close, …) are short and never wait behind bulk calls.
 *
 * What it bounds: the binding holds at most `maxBulk` pool threads for bulk calls, plus one per control call
 * in flight. What it cannot: threads other code takes (`fs`, `zlib`), so End or Term can still wait for a
 * pool thread that `fs` holds; raise `UV_THREADPOOL_SIZE` in the environment (before node starts) for that.
 *
 * @example
 * const gate = new AsyncGate(2);
 * const n = await gate.run('bulk', () => readOnce());
 */
export class AsyncGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** Bulk calls running now, and the most ever running at once (for tests and the benchmark). */
  readonly stats = { bulkRunning: 0, bulkPeak: 0, bulkQueuedPeak: 0 };

  /** @param maxBulk bulk calls at once, an integer ≥ 1 */
  constructor(readonly maxBulk: number) {
    if (!Number.isInteger(maxBulk) || maxBulk < 1) throw new RangeError(`AsyncGate: maxBulk must be an integer ≥ 1, got ${maxBulk}`);
  }

  /** Run `start` now (control) or when a bulk slot is free (bulk); resolves or rejects as it does. */
  async run<T>(lane: AsyncLane, start: () => Promise<T>): Promise<T> {
    if (lane === 'control') return start();
    if (this.running >= this.maxBulk) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        this.stats.bulkQueuedPeak = Math.max(this.stats.bulkQueuedPeak, this.waiting.length);
      });
    } else {
      this.running++;
    }
    this.stats.bulkRunning = this.running;
    this.stats.bulkPeak = Math.max(this.stats.bulkPeak, this.running);
    try {
      return await start();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes on: `running` stays
      else this.running--;
      this.stats.bulkRunning = this.running;
    }
  }
}
