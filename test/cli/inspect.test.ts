import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeInstance, putRows, startCli, tempDir } from './cli-helpers.js';

interface StateJson {
  allowStop: boolean;
  instances: Array<{
    instance: string;
    value: { backup: unknown };
    session: { stop: { detail?: string } | null } | null;
    outcome: unknown;
  }>;
}

const getState = async (url: string): Promise<StateJson> => (await fetch(new URL('api/state', url))).json() as Promise<StateJson>;

describe('the live inspector from the CLI', () => {
  it('demo --inspect --allow-stop: the page serves the running session, its STOP stops the backup, and it keeps serving until Ctrl-C', async () => {
    const dir = await tempDir();
    const cli = startCli(['demo', '--dir', dir, '--size', '16', '--rate', '2', '--inspect', '--allow-stop', '--json']);
    const url = (await cli.stderrLine(/^inspector: http:\/\/127\.0\.0\.1:\d+\/$/)).slice('inspector: '.length);
    await cli.stderrLine(/^progress: /);
    const running = await getState(url);
    expect(running.allowStop).toBe(true);
    const [view] = running.instances;
    expect(view!.value.backup).toMatchObject({ session: { phase: 'databases', stop: 'running' } });

    const stop = await fetch(new URL(`api/instances/${view!.instance}/stop`, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(stop.status).toBe(200);
    await cli.stderrLine(/^inspector: still serving; Ctrl-C to exit$/);
    const after = await getState(url);
    expect(after.instances[0]!.value.backup).toEqual({ noSession: 'idle' });
    expect(after.instances[0]!.outcome).toMatchObject({ kind: 'stoppedByServer' });
    expect((await fetch(url)).headers.get('content-type')).toMatch(/text\/html/);

    cli.proc.kill('SIGINT');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.json()).toMatchObject({
      outcome: 'stopped',
      stopReason: { source: 'manual' },
      signal: null,
      stop: { reason: { source: 'manual', detail: 'inspector STOP button' } },
      visible: { finalName: false },
    });
    await expect(fetch(url)).rejects.toThrow(); // the server is gone with the process
  });

  it('inspect: a backup with the read-only inspector; the page refuses STOP without --allow-stop', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 200, 4000));
    const set = path.join(dir, 'sets', 'full');
    const cli = startCli(['inspect', '--engine', `embedded:${dir}`, '--instance', 'main', '--to', set, '--rate', '1', '--json']);
    const url = (await cli.stderrLine(/^inspector: http/)).slice('inspector: '.length);
    const { instances } = await getState(url);
    const stop = await fetch(new URL(`api/instances/${instances[0]!.instance}/stop`, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(stop.status).toBe(403);
    await cli.stderrLine(/^inspector: still serving/);
    expect((await getState(url)).instances[0]!.outcome).toMatchObject({ kind: 'completed' });
    cli.proc.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ outcome: 'completed', set, verified: true });
    expect(fs.existsSync(path.join(set, 'manifest.json'))).toBe(true);
  });
});
