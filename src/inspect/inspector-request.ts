import type http from 'node:http';
import type { Coordinator } from '../coordinator/index.js';
import type { InspectorData } from './inspector-data.js';
import { instanceView } from './instance-view.js';
import { isLoopbackHost } from './is-loopback-host.js';

/** What the request handler serves. */
export interface InspectorRoutes {
  coordinator: Coordinator;
  allowStop: boolean;
  /** Bound to loopback: refuse requests whose Host is not a loopback name (DNS rebinding). */
  loopback: boolean;
  data(): InspectorData;
  svg: string;
  page(nonce: string): string;
  nonce(): string;
  /** Take over a response as a server-sent event stream. */
  stream(res: http.ServerResponse): void;
}

const common = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { ...common, 'content-type': 'application/json; charset=utf-8' });
  res.end(`${JSON.stringify(body)}\n`);
};

/**
 * The inspector's HTTP routes: `GET /` (the page, under a strict Content-Security-Policy that allows
 * only its own inline script and style, and connections to itself), `GET /api/state`,
 * `GET /api/events`, `GET /chart.svg`, and `POST /api/instances/<inst>/stop` (answers the instance's view and the stop's `delivery`; 403 unless
 * `allowStop`; a JSON body and a same-origin `Origin` are required, so another site cannot post it).
 *
 * @example
 * http.createServer(inspectorRequest(routes)).listen(0, '127.0.0.1');
 */
export function inspectorRequest(routes: InspectorRoutes): http.RequestListener {
  return (req, res) => {
    const hostHeader = req.headers.host ?? '';
    const hostname = hostHeader.replace(/:\d+$/, '');
    if (routes.loopback && !isLoopbackHost(hostname)) return json(res, 421, { error: `Host '${hostHeader}' is not a loopback name` });
    const url = new URL(req.url ?? '/', 'http://inspector');
    const path = url.pathname;
    const stop = /^\/api\/instances\/(\d+)\/stop$/.exec(path);
    if (stop) {
      if (req.method !== 'POST') return json(res, 405, { error: 'use POST' });
      if (!routes.allowStop)
        return json(res, 403, { error: 'read-only inspector: start it with allowStop (--allow-stop) to stop backups from the page' });
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${hostHeader}`)
        return json(res, 403, { error: `cross-origin request from ${origin}` });
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
        return json(res, 415, { error: 'send Content-Type: application/json' });
      const inst = BigInt(stop[1]!);
      if (!routes.coordinator.instances().includes(inst))
        return json(res, 404, { error: `instance ${inst} has no session in this coordinator` });
      // `delivery` tells the operator what the stop reached ('noSession': nothing was running).
      const delivery = routes.coordinator.stop(inst, { source: 'manual', detail: 'inspector STOP button', shutdown: false });
      req.resume();
      return json(res, 200, { ...instanceView(inst.toString(), routes.coordinator.snapshot(inst)), delivery });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'read-only: use GET' });
    switch (path) {
      case '/':
      case '/index.html': {
        const nonce = routes.nonce();
        res.writeHead(200, {
          ...common,
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        });
        return void res.end(req.method === 'HEAD' ? undefined : routes.page(nonce));
      }
      case '/api/state':
        return json(res, 200, routes.data());
      case '/api/events':
        if (req.method === 'HEAD') return json(res, 405, { error: 'use GET' });
        res.writeHead(200, { ...common, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
        res.flushHeaders();
        return routes.stream(res);
      case '/chart.svg':
        res.writeHead(200, { ...common, 'content-type': 'image/svg+xml; charset=utf-8' });
        return void res.end(routes.svg);
      default:
        return json(res, 404, { error: `no route ${path}` });
    }
  };
}
