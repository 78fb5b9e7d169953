import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

const managers = new WeakMap<NatsConnection, Promise<JetStreamManager>>();

/**
 * The keys of KV bucket `bucket` under `filter` (`state.>`), read from the bucket's stream info
 * (`subjects_filter`): requests that each answer or time out, nothing left running.
 *
 * Not `kv.keys()`: its ordered consumer ends on a message reporting 0 pending or on an idle heartbeat,
 * and with keys re-put every 200 ms on a loaded machine it was seen to wait past 10 s (the fleet CLI
 * test, under load). A key whose last value is a delete is listed too: callers read each key and skip those.
 */
export async function listKvKeys(nc: NatsConnection, bucket: string, filter: string): Promise<string[]> {
  let jsm = managers.get(nc);
  if (!jsm) {
    jsm = jetstreamManager(nc);
    managers.set(nc, jsm);
    // A failed one (the server away) is not kept: the next listing asks again.
    jsm.catch(() => managers.delete(nc));
  }
  // A KV bucket's stream and subjects, as @nats-io/kv names them (the fleet's buckets are plain, never mirrors).
  const prefix = `$KV.${bucket}.`;
  const info = await (await jsm).streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}${filter}` });
  return Object.keys(info.state.subjects ?? {})
    .filter((s) => s.startsWith(prefix))
    .map((s) => s.slice(prefix.length))
    .sort();
}
