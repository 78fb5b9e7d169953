/**
 * Runs async tasks one at a time, in order (ESE does not support concurrent calls on one instance).
 * An idle queue starts a task synchronously, so a call enters the backend in the caller's tick.
 *
 * @example
 * const q = new SerialQueue();
 * await Promise.all([q.run(() => api.readFile(inst, h, a)), q.run(() => api.readFile(inst, h, b))]);
 */
export class SerialQueue {
  private busy = false;
  private readonly waiting: Array<() => void> = [];

  /** Run `task` after every task queued before it; resolves or rejects as it does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (!this.busy) {
      this.busy = true;
      return this.start(task);
    }
    return new Promise<T>((resolve, reject) => this.waiting.push(() => void this.start(task).then(resolve, reject)));
  }

  /** Tasks waiting behind the running one. */
  get pending(): number {
    return this.waiting.length;
  }

  private start<T>(task: () => Promise<T>): Promise<T> {
    let promise: Promise<T>;
    try {
      promise = task();
    } catch (e) {
      promise = Promise.reject(e);
    }
    promise.then(this.next, this.next);
    return promise;
  }

  private readonly next = (): void => {
    const task = this.waiting.shift();
    if (task) task();
    else this.busy = false;
  };
}
