// The inspector's HTTP surface without a browser: JSON, SSE, read-only, loopback-only, Host checks.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { createEmbeddedEngine, type EmbeddedEngine } from '../../src/engine/index.js';
import { JET_bit } from '../../src/jet/index.js';
import { createInspector, type InspectorData } from '../../src/inspect/index.js';
import { inspectorFixture, type InspectorFixture } from './inspector-fixture.js';

let fx: InspectorFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** A raw request (fetch cannot set Host or Origin). */
function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Read server-sent events until `until` accepts one. */
async function events(
  url: string,
  until: (event: string, data: unknown) => boolean,
  onFirst?: () => void,
): Promise<Array<{ event: string; data: unknown }>> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const seen: Array<{ event: string; data: unknown }> = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return seen;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event === undefined || data === undefined) continue;
      seen.push({ event, data: JSON.parse(data) });
      if (seen.length === 1) onFirst?.();
      if (until(event, seen.at(-1)!.data)) {
        controller.abort();
        return seen;
      }
    }
  }
}

describe('createInspector over the embedded engine', () => {
  it('GET /api/state: each instance with its state, calls, session, outcome and timeline', async () => {
    fx = await inspectorFixture();
    await fx.backup.beginExternalBackup(fx.inst, 0);
    fx.coordinator.stop(fx.inst, 'maintenance window');
    await fx.backup.endExternalBackup(fx.inst, JET_bit.BackupEndAbort);
    const res = await fetch(new URL('api/state', fx.inspector.url));
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const data = (await res.json()) as InspectorData;
    expect(data).toMatchObject({ machine: 'instanceBackup', allowStop: false });
    const [view] = data.instances;
    expect(view).toMatchObject({
      instance: String(fx.inst),
      state: 'backup.noSession.idle · call.idle · latch.off',
      session: { open: false, stop: { source: 'manual', label: 'app (maintenance window)' } },
      outcome: { kind: 'stoppedByServer' },
      stops: 1,
    });
    expect(view!.calls.find((c) => c.event === 'GET_ATTACH_INFO')).toMatchObject({ kind: 'refused', err: -520, code: 'JET_errNoBackup' });
    expect(view!.timeline.map((e) => e.kind)).toEqual(['start', 'call', 'answer', 'stop', 'call', 'answer']);
    expect({ ...data, at: 0 }).toEqual({ ...fx.inspector.data(), at: 0 });
  });

  it('GET /api/events: the state first, then each transition as it happens', async () => {
    fx = await inspectorFixture();
    const f = fx;
    let connected!: () => void;
    const streaming = new Promise<void>((resolve) => (connected = resolve));
    const seen = events(
      new URL('api/events', f.inspector.url).href,
      (event, data) => event === 'instance' && (data as { state: string }).state.includes('backup.session'),
      connected,
    );
    await Promise.race([streaming, seen]); // the stream's first event (the state) came: the client is connected
    await f.backup.beginExternalBackup(f.inst, 0);
    const got = await seen;
    expect(got[0]).toMatchObject({ event: 'state', data: { instances: [{ instance: String(f.inst) }] } });
    expect(got.filter((e) => e.event === 'entry').map((e) => (e.data as { text: string }).text)).toContain(
      'JetBeginExternalBackupInstance called; → call.busy',
    );
  });

  it('is read-only by default: POST stop answers 403 and stops nothing', async () => {
    fx = await inspectorFixture();
    await fx.backup.beginExternalBackup(fx.inst, 0);
    const res = await request(new URL(`api/instances/${fx.inst}/stop`, fx.inspector.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(fx.coordinator.snapshot(fx.inst).context.session?.stopReason).toBeNull();
  });

  it('with allowStop: POST stops; a cross-origin or non-JSON POST does not', async () => {
    fx = await inspectorFixture({ allowStop: true });
    await fx.backup.beginExternalBackup(fx.inst, 0);
    const url = new URL(`api/instances/${fx.inst}/stop`, fx.inspector.url).href;
    expect(
      (await request(url, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{}' }))
        .status,
    ).toBe(403);
    expect((await request(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect(
      (
        await request(new URL('api/instances/77/stop', fx.inspector.url).href, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(404);
    expect(fx.coordinator.snapshot(fx.inst).context.stops).toBe(0);
    const ok = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: fx.inspector.url.replace(/\/$/, '') },
      body: '{}',
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ session: { stop: { label: 'app (inspector STOP button)' } }, delivery: 'stopped' });
    expect(fx.coordinator.snapshot(fx.inst).context.stops).toBe(1);
    const again = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(JSON.parse(again.body)).toMatchObject({ delivery: 'alreadyStopped' });
  });

  it('serves the page with a strict CSP and everything inline; refuses foreign Host names (DNS rebinding)', async () => {
    fx = await inspectorFixture();
    const page = await request(fx.inspector.url);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(
      /default-src 'none'; script-src 'nonce-[^']+'; style-src 'nonce-[^']+'; connect-src 'self'/,
    );
    expect(page.body).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(page.body).toContain('<g id="state:backup.session.stop.stopped" class="node"');
    const rebound = await request(fx.inspector.url, { headers: { host: `attacker.example:${fx.inspector.port}` } });
    expect(rebound.status).toBe(421);
    expect((await request(fx.inspector.url, { headers: { host: `localhost:${fx.inspector.port}` } })).status).toBe(200);
    expect((await request(new URL('chart.svg', fx.inspector.url).href)).headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect((await request(new URL('nope', fx.inspector.url).href)).status).toBe(404);
  });

  it('without the inspection stream, stops and outcomes still reach the timeline (from state$)', async () => {
    fx = await inspectorFixture({ inspection: false });
    await fx.backup.beginExternalBackup(fx.inst, 0);
    fx.coordinator.stop(fx.inst, { source: 'deadline', detail: '30000 ms', shutdown: false });
    await fx.backup.getAttachInfo(fx.inst).catch(() => {});
    await fx.backup.endExternalBackup(fx.inst, JET_bit.BackupEndNormal);
    const timeline = fx.inspector.timeline.entries(String(fx.inst));
    expect(fx.inspector.timeline.inspecting).toBe(false);
    expect(timeline.find((e) => e.kind === 'stop')).toMatchObject({ source: 'deadline', sourceLabel: 'deadline (30000 ms)' });
    expect(timeline.find((e) => e.kind === 'refused')).toMatchObject({ api: 'JetGetAttachInfoInstance', err: -801 });
    expect(timeline.find((e) => e.kind === 'outcome')?.outcome).toEqual({ kind: 'stoppedByServer' });
  });
});

describe('createInspector: arguments and binding', () => {
  let engine: EmbeddedEngine;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ese-inspect-args-'));
    engine = await createEmbeddedEngine({ directory: dir });
  });
  afterAll(async () => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const coordinator = () => createCoordinator({ api: engine });
  it('refuses a non-loopback bind unless allowNonLoopback, before listening', async () => {
    const c = coordinator();
    await expect(createInspector({ coordinator: c, host: '0.0.0.0' })).rejects.toThrow(RangeError);
    await expect(createInspector({ coordinator: c, host: '192.168.1.10' })).rejects.toThrow(/allowNonLoopback/);
    const open = await createInspector({ coordinator: c, host: '0.0.0.0', allowNonLoopback: true });
    expect(open.host).toBe('0.0.0.0');
    await open.close();
    await open.close(); // idempotent
    c.dispose();
  });
  it('checks its options', async () => {
    await expect(createInspector({ coordinator: {} as never })).rejects.toThrow(TypeError);
    await expect(createInspector({ coordinator: coordinator(), port: 70000 })).rejects.toThrow(/port must be an integer 0\.\.65535/);
    await expect(createInspector({ coordinator: coordinator(), host: '' })).rejects.toThrow(TypeError);
  });
});
