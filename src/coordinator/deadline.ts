import { asyncScheduler, map, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { StopReason } from '../../machines/index.js';

/**
 * A stop source: emits once after `due` milliseconds, or at the Date `due`, then completes.
 * Time comes from `scheduler` (RxJS's, injectable: a TestScheduler in tests).
 *
 * @example
 * coordinator.stopWhen(deadline(30 * 60_000)); // no backup runs longer than 30 minutes
 */
export function deadline(due: number | Date, scheduler: SchedulerLike = asyncScheduler): Observable<StopReason> {
  if (due instanceof Date) {
    if (Number.isNaN(due.getTime())) throw new RangeError('deadline: invalid Date');
  } else if (typeof due !== 'number' || !Number.isFinite(due) || due < 0) {
    throw new RangeError(`deadline: due must be a Date or a finite number of milliseconds >= 0, got ${String(due)}`);
  }
  const detail = due instanceof Date ? due.toISOString() : `${due} ms`;
  return timer(due, scheduler).pipe(map((): StopReason => ({ source: 'deadline', detail, shutdown: false })));
}
