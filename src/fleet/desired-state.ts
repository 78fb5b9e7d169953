import { KvWatchInclude, type KvEntry } from '@nats-io/kv';
import { Subject, type Observable } from 'rxjs';
import type { FleetConnection } from './connect-fleet.js';
import { parseDesiredKey, type DesiredKey } from './fleet-keys.js';
import { listKvKeys } from './list-kv-keys.js';
import { within } from './within.js';
import { checkDesiredHold, checkDesiredStop, decodeJson, type DesiredHold, type DesiredStop } from './fleet-values.js';

/** One valid desired-state key with its value and KV revision. */
export type DesiredEntry =
  | { key: string; revision: number; target: Extract<DesiredKey, { kind: 'stop' }>; stop: DesiredStop }
  | { key: string; revision: number; target: Extract<DesiredKey, { kind: 'hold' }>; hold: DesiredHold };

/** Options of {@link watchDesiredState}. */
export interface DesiredStateOptions {
  /** Re-read every key this often (default 5000 ms), besides on each reconnect: a missed update never matters for long. */
  resyncMs?: number;
  /** How long a full read may take before it counts as failed (default 10000 ms). */
  readTimeoutMs?: number;
  /** Follow changes (default true); `false`: one full read, no watch (a status snapshot). */
  follow?: boolean;
  /** Where malformed values are reported (once per key and revision). */
  onWarning: (message: string) => void;
}

/** The desired state as one coordinator or `fromFleet` sees it. */
export interface DesiredState {
  /** The valid keys now, by key. Malformed values are absent (and were warned about). */
  current(): ReadonlyMap<string, DesiredEntry>;
  /** Emits after every change of `current()` (watch updates and resyncs). */
  readonly changes$: Observable<void>;
  /** Read everything again now (also done on reconnect and every `resyncMs`). */
  resync(): Promise<void>;
  /** Stop following; resolves once the watch's consumer is stopped (close the connection only after). */
  close(): Promise<void>;
}

/**
 * Follows the desired-state bucket, level-triggered: a watch for updates, plus a full read (every key,
 * `keys` then `get`) at the start, after each reconnect and every `resyncMs`. Every value is checked
 * (`checkDesiredStop`, `checkDesiredHold`); a malformed one, or a key this version does not know, is
 * ignored with a warning. Resolves once the first full read is done.
 */
export async function watchDesiredState(fleet: FleetConnection, options: DesiredStateOptions): Promise<DesiredState> {
  const entries = new Map<string, DesiredEntry | { key: string; revision: number; deleted: true }>();
  const warned = new Set<string>();
  const changes = new Subject<void>();
  let closed = false;
  /** Keys a watch update touched while a resync ran: the update may be newer than what the resync read. */
  let touched: Set<string> | undefined;

  const warn = (key: string, revision: number, why: string): undefined => {
    const id = `${key}@${revision}`;
    if (warned.has(id)) return;
    warned.add(id);
    options.onWarning(`fleet: ignoring ${fleet.bucket}/${key} (revision ${revision}): ${why}`);
  };

  /** The entry of a KV value, or `undefined` (warned) when it is malformed. */
  const toEntry = (e: KvEntry): DesiredEntry | { key: string; revision: number; deleted: true } | undefined => {
    if (e.operation !== 'PUT') return { key: e.key, revision: e.revision, deleted: true };
    const target = parseDesiredKey(e.key);
    if (!target)
      return warn(e.key, e.revision, 'not a key of the fleet (stop.all, stop.<node>, stop.<node>.<instance>, hold.all, hold.<node>)');
    const json = decodeJson(e.value);
    if (!json.ok) return warn(e.key, e.revision, json.why);
    if (target.kind === 'stop') {
      const stop = checkDesiredStop(json.value);
      return typeof stop === 'string' ? warn(e.key, e.revision, stop) : { key: e.key, revision: e.revision, target, stop };
    }
    const hold = checkDesiredHold(json.value);
    return typeof hold === 'string' ? warn(e.key, e.revision, hold) : { key: e.key, revision: e.revision, target, hold };
  };

  const take = (e: KvEntry) => {
    const known = entries.get(e.key);
    if (known && known.revision > e.revision) return false;
    const entry = toEntry(e);
    // A malformed value replaces the valid one before it: the key no longer says that.
    entries.set(e.key, entry ?? { key: e.key, revision: e.revision, deleted: true });
    return true;
  };

  let resyncing: Promise<void> | undefined;
  const readAll = async () => {
    const keys = await listKvKeys(fleet.nc, fleet.bucket, '>');
    const read = new Map<string, KvEntry>();
    for (const k of keys) {
      const e = await fleet.desired.get(k);
      if (e) read.set(k, e);
    }
    return read;
  };
  const resync = (): Promise<void> =>
    (resyncing ??= (async () => {
      touched = new Set();
      try {
        // A listing that does not finish is stopped: its consumer must not outlive the connection.
        const read = await within(options.readTimeoutMs ?? 10_000, `reading ${fleet.bucket}`, readAll());
        for (const key of [...entries.keys()]) if (!read.has(key) && !touched.has(key)) entries.delete(key);
        for (const e of read.values()) take(e);
        changes.next();
      } finally {
        touched = undefined;
        resyncing = undefined;
      }
    })());

  await resync();

  let stopWatch: () => void = () => {};
  const follow = options.follow !== false;
  // The watch: updates only (the full reads give the current values); restarted if it ends.
  const watching = !follow
    ? Promise.resolve()
    : (async () => {
        while (!closed) {
          try {
            const iter = await fleet.desired.watch({ include: KvWatchInclude.UpdatesOnly });
            stopWatch = () => iter.stop();
            if (closed) iter.stop();
            for await (const e of iter) {
              touched?.add(e.key);
              if (take(e)) changes.next();
            }
          } catch {
            // The connection is down or closing: the reconnect's resync covers the gap.
          }
          if (!closed) await new Promise((r) => setTimeout(r, 250));
        }
      })();

  if (follow) {
    void (async () => {
      for await (const s of fleet.nc.status()) {
        if (closed) break;
        if (s.type === 'reconnect') void resync().catch(() => undefined);
      }
    })().catch(() => undefined);
  }
  const timer = follow ? setInterval(() => void resync().catch(() => undefined), options.resyncMs ?? 5000) : undefined;
  timer?.unref();

  return {
    current: () => new Map([...entries].filter((e): e is [string, DesiredEntry] => !('deleted' in e[1]))),
    changes$: changes.asObservable(),
    resync,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      stopWatch();
      changes.complete();
      // A consumer still being created when the connection closes would outlive it (nats.js then logs
      // ClosedConnectionError from its heartbeat monitor): wait for the watch loop to end, briefly.
      await within(2000, 'stopping the watch', watching).catch(() => undefined);
    },
  };
}
