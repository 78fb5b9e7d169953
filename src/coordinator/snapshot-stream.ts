import { Observable } from 'rxjs';
import type { Snapshot, Subscribable } from 'xstate';

/**
 * The snapshots of an actor as an Observable that emits the current snapshot first, then every
 * change (xstate's `from(actor)` starts with the next change), and completes when the actor stops.
 *
 * @example
 * snapshotStream(actor).subscribe((s) => console.log(s.value)); // logs the current value at once
 */
export function snapshotStream<S extends Snapshot<unknown>>(actor: Subscribable<S> & { getSnapshot(): S }): Observable<S> {
  return new Observable<S>((subscriber) => {
    subscriber.next(actor.getSnapshot());
    const subscription = actor.subscribe({
      next: (snapshot) => subscriber.next(snapshot),
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => subscription.unsubscribe();
  });
}
