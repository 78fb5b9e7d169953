/**
 * The read buffers of a run, shared by its files: a buffer is handed out to be read into and comes
 * back once its chunk was hashed and written, so the chunks of one file may still be on their way
 * while the next file is read.
 *
 * A run takes its pool with {@link ChunkBufferPool.take} and gives it back when it ends
 * ({@link ChunkBufferPool.giveBack}): the pool is kept for the process's next run once every buffer
 * came back. Memory touched for the first time is costly (page faults and zeroing: measured ~7 ms per
 * 2 MiB buffer on this project's VM, against ~0.15 ms to read into it once touched; see
 * docs/benchmarks.md), and fresh buffers for every run paid it anew, at the start of each run.
 *
 * @example
 * const pool = ChunkBufferPool.take(4, 1024 * 1024, hashableBuffer);
 * const buffer = await pool.acquire(); ...; pool.release(buffer); pool.giveBack();
 */
export class ChunkBufferPool {
  /** Idle pools per allocator and shape, for the process's next runs (a few each: memory stays bounded). */
  private static readonly idle = new Map<(size: number) => Uint8Array, Map<string, ChunkBufferPool[]>>();
  /** Idle pools kept per allocator and shape. */
  private static readonly KEEP = 2;

  private readonly free: Uint8Array[];
  private readonly waiting: ((buffer: Uint8Array) => void)[] = [];
  /** Buffers handed out and not released yet. */
  private out = 0;
  private givenBack = false;

  constructor(
    readonly count: number,
    /** Bytes per buffer: the read size. */
    readonly size: number,
    private readonly allocate: (size: number) => Uint8Array = plainBuffer,
  ) {
    if (!Number.isSafeInteger(count) || count < 2) throw new RangeError(`ChunkBufferPool: at least two buffers, got ${count}`);
    this.free = Array.from({ length: count }, () => allocate(size));
  }

  /** An idle pool of this shape that an earlier run gave back, or a new one. */
  static take(count: number, size: number, allocate: (size: number) => Uint8Array = plainBuffer): ChunkBufferPool {
    const pool = ChunkBufferPool.idle.get(allocate)?.get(`${count}x${size}`)?.pop();
    if (!pool) return new ChunkBufferPool(count, size, allocate);
    pool.givenBack = false;
    return pool;
  }

  /** A free buffer, at once or as soon as one comes back (first come, first served). */
  acquire(): Promise<Uint8Array> {
    if (this.givenBack) return Promise.reject(new Error('ChunkBufferPool: acquire after giveBack'));
    this.out++;
    const buffer = this.free.pop();
    return buffer ? Promise.resolve(buffer) : new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Give a buffer back: its chunk is done with. */
  release(buffer: Uint8Array): void {
    // A waiter was counted out when it asked: the buffer goes straight to it.
    this.out--;
    const next = this.waiting.shift();
    if (next) return next(buffer);
    this.free.push(buffer);
    this.keepIfIdle();
  }

  /**
   * The run is done with the pool: once every buffer handed out came back (chunks still being hashed
   * or written keep theirs until then), the pool is kept for a later {@link ChunkBufferPool.take}.
   * A buffer that never comes back (its chunk never settles) keeps the pool from being reused.
   */
  giveBack(): void {
    this.givenBack = true;
    this.keepIfIdle();
  }

  private keepIfIdle(): void {
    if (!this.givenBack || this.out > 0 || this.free.length !== this.count) return;
    let shapes = ChunkBufferPool.idle.get(this.allocate);
    if (!shapes) ChunkBufferPool.idle.set(this.allocate, (shapes = new Map()));
    const key = `${this.count}x${this.size}`;
    const kept = shapes.get(key) ?? [];
    if (kept.length < ChunkBufferPool.KEEP && !kept.includes(this)) kept.push(this);
    shapes.set(key, kept);
  }
}

const plainBuffer = (n: number): Uint8Array => new Uint8Array(n);
