import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Subscription } from 'rxjs';
import { instanceBackup, type Coordinator, type InstanceBackupSnapshot } from '../coordinator/index.js';
import { renderSvg } from '../../diagrams/render-svg.js';
import { toDot } from '../../diagrams/to-dot.js';
import { createTimeline, type Timeline } from './create-timeline.js';
import { inspectorData, type InspectorData } from './inspector-data.js';
import { inspectorPage } from './inspector-page.js';
import { instanceView } from './instance-view.js';
import { isLoopbackHost } from './is-loopback-host.js';
import { inspectorRequest } from './inspector-request.js';

/** Options of `createInspector`. */
export interface InspectorOptions {
  coordinator: Coordinator;
  /** Where events come from (default: a timeline fed by `coordinator.states$` alone; see `createTimeline`). */
  timeline?: Timeline;
  /** TCP port (default 0: any free port; see `inspector.url`). */
  port?: number;
  /** Address to bind (default `'127.0.0.1'`). Anything but loopback needs `allowNonLoopback`. */
  host?: string;
  /** Serve a STOP button and `POST /api/instances/<inst>/stop` (default false: read-only). */
  allowStop?: boolean;
  /** Allow binding a non-loopback address (default false: the inspector has no authentication). */
  allowNonLoopback?: boolean;
}

/** A running inspector. */
export interface Inspector {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly timeline: Timeline;
  /** What `GET /api/state` answers now. */
  data(): InspectorData;
  /** Stop serving: end the event streams, close the server. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serve a live view of a coordinator's instances on loopback: one self-contained page (`GET /`)
 * with each instance's chart and active states, the calls the engine would take now, the last
 * session's outcome and a timeline (stops with their source, refused calls with their JET code);
 * `GET /api/state` (the same data as JSON), `GET /api/events` (server-sent events, pushed on the
 * turn after a transition) and `GET /chart.svg`. Read-only unless `allowStop`.
 *
 * @throws TypeError for an option of the wrong type; RangeError for a port out of range or a
 *   non-loopback `host` without `allowNonLoopback` — before anything listens.
 * @example
 * const timeline = createTimeline();
 * const coordinator = createCoordinator({ api: engine, inspect: timeline.inspect });
 * const inspector = await createInspector({ coordinator, timeline, port: 7349 });
 * console.log(`inspect at ${inspector.url}`);
 */
export async function createInspector(options: InspectorOptions): Promise<Inspector> {
  const { coordinator, port = 0, host = '127.0.0.1', allowStop = false, allowNonLoopback = false } = options ?? ({} as InspectorOptions);
  if (typeof coordinator?.snapshot !== 'function' || typeof coordinator.states$?.subscribe !== 'function')
    throw new TypeError('createInspector: options.coordinator must be a Coordinator');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`createInspector: port must be an integer 0..65535, got ${String(port)}`);
  if (typeof host !== 'string' || host === '') throw new TypeError('createInspector: host must be a non-empty string');
  if (!isLoopbackHost(host) && allowNonLoopback !== true) {
    throw new RangeError(
      `createInspector: host '${host}' is not a loopback address; the inspector has no authentication, pass allowNonLoopback: true to expose it`,
    );
  }
  const timeline = options.timeline ?? createTimeline();
  const svg = await renderSvg(toDot(instanceBackup));

  const streams = new Set<http.ServerResponse>();
  const send = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of streams) res.write(frame);
  };
  // Views go out once per turn of the event loop (a burst of transitions sends the last state).
  const dirty = new Map<string, InstanceBackupSnapshot>();
  let flush: NodeJS.Immediate | undefined;
  const schedule = () => {
    flush ??= setImmediate(() => {
      flush = undefined;
      for (const [instance, snapshot] of dirty) send('instance', instanceView(instance, snapshot));
      dirty.clear();
    });
  };
  const subscriptions = new Subscription();
  subscriptions.add(
    coordinator.states$.subscribe(({ instance, snapshot }) => {
      const id = instance.toString();
      timeline.observe(id, snapshot);
      dirty.set(id, snapshot);
      schedule();
    }),
  );
  subscriptions.add(timeline.entries$.subscribe((entry) => send('entry', entry)));

  const data = () => inspectorData(coordinator, timeline, { allowStop, machine: instanceBackup.id });
  const server = http.createServer(
    inspectorRequest({
      coordinator,
      allowStop,
      loopback: isLoopbackHost(host),
      data,
      svg,
      page: (nonce) => inspectorPage({ svg, nonce, allowStop }),
      nonce: () => randomBytes(16).toString('base64'),
      stream: (res) => {
        streams.add(res);
        res.on('close', () => streams.delete(res));
        res.write(`event: state\ndata: ${JSON.stringify(data())}\n\n`);
      },
    }),
  );
  const keepAlive = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}/`,
    host: address.address,
    port: address.port,
    timeline,
    data,
    close() {
      closing ??= new Promise<void>((resolve) => {
        subscriptions.unsubscribe();
        clearInterval(keepAlive);
        if (flush) clearImmediate(flush);
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
