import type { FleetConnection } from './connect-fleet.js';
import { watchDesiredState, type DesiredState } from './desired-state.js';

interface Shared {
  state: Promise<DesiredState>;
  users: number;
  warnings: Set<(message: string) => void>;
}

/** Per connection, per resync interval: the one watch its members share. */
const shared = new WeakMap<FleetConnection, Map<number, Shared>>();

/**
 * The desired state of `fleet`, one watch for every member on that connection (and resync interval):
 * a process whose coordinators share a connection has one consumer on the server and one delivery
 * per change, not one per coordinator. Each caller gets its own handle: `changes$` and `current()`
 * as `watchDesiredState`'s, warnings sent to every caller's `onWarning` (once per key and revision:
 * a caller that joins later is not told again of a malformed value already warned about), and
 * `close()` that stops the watch when the last handle closes.
 */
export async function shareDesiredState(
  fleet: FleetConnection,
  options: { resyncMs?: number; onWarning: (message: string) => void },
): Promise<DesiredState> {
  const resyncMs = options.resyncMs ?? 5000;
  let byResync = shared.get(fleet);
  if (!byResync) shared.set(fleet, (byResync = new Map()));
  let entry = byResync.get(resyncMs);
  if (!entry) {
    const warnings = new Set<(message: string) => void>();
    const created: Shared = {
      users: 0,
      warnings,
      state: watchDesiredState(fleet, { resyncMs, onWarning: (m) => warnings.forEach((w) => w(m)) }),
    };
    byResync.set(resyncMs, created);
    entry = created;
    // A failed first read is every waiting caller's failure; the next caller tries again.
    created.state.catch(() => {
      if (byResync.get(resyncMs) === created) byResync.delete(resyncMs);
    });
  }
  const mine = entry;
  // Its own function, so two callers giving the same onWarning are two entries.
  const warn = (m: string) => options.onWarning(m);
  mine.users += 1;
  mine.warnings.add(warn);
  let state: DesiredState;
  try {
    state = await mine.state;
  } catch (e) {
    mine.users -= 1;
    mine.warnings.delete(warn);
    throw e;
  }
  let closed = false;
  return {
    current: () => state.current(),
    changes$: state.changes$,
    resync: () => state.resync(),
    async close() {
      if (closed) return;
      closed = true;
      mine.warnings.delete(warn);
      mine.users -= 1;
      if (mine.users > 0) return;
      if (byResync.get(resyncMs) === mine) byResync.delete(resyncMs);
      await state.close();
    },
  };
}
