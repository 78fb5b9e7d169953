import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// No vitest here: bench/fleet-stop-latency.ts starts its server with this module too.

/** The command that installs the server the fleet tests need (Debian's nats-server, 2.9.10 here). */
export const natsInstallCommand = 'apt-get install -y nats-server';

function findNatsServer(): string | undefined {
  if (process.env.NATS_SERVER && fs.existsSync(process.env.NATS_SERVER)) return process.env.NATS_SERVER;
  for (const dir of ['/usr/sbin', ...(process.env.PATH ?? '').split(path.delimiter)]) {
    const candidate = path.join(dir, 'nats-server');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The nats-server binary (NATS_SERVER, /usr/sbin, or PATH), or `undefined`. */
export const natsServerPath = findNatsServer();

/** A free loopback TCP port (bound and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  token?: string;
  user?: string;
  pass?: string;
  /** A server configuration (its text: `authorization { … }`, `tls { … }`, operator mode), given with `-c`. */
  config?: string;
  /** Reuse a port and a store directory (a restart). */
  port?: number;
  storeDir?: string;
}

/** A running nats-server with JetStream on loopback. */
export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** Stop, then start again on the same port and store. */
  restart(): Promise<void>;
}

/** Resolves when the server at `port` answers INFO with JetStream on (probed, not slept). */
async function waitReady(port: number, proc: ChildProcess, log: () => string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}:\n${log()}`);
    const info = await new Promise<string>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      let data = '';
      const done = (v: string) => {
        sock.destroy();
        resolve(v);
      };
      sock.setTimeout(500, () => done(''));
      sock.on('data', (d) => {
        data += d.toString();
        if (data.includes('\n')) done(data);
      });
      sock.on('error', () => done(''));
    });
    if (info.startsWith('INFO') && info.includes('"jetstream":true')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server on port ${port} not ready within ${timeoutMs} ms:\n${log()}`);
}

/** Start nats-server -js on a free loopback port with a temporary store (removed by `stop`). */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  if (!natsServerPath) throw new Error(`nats-server not found: ${natsInstallCommand}`);
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ese-fleet-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir];
  if (options.token) args.push('--auth', options.token);
  if (options.user) args.push('--user', options.user, '--pass', options.pass ?? '');
  if (options.config !== undefined) {
    const file = path.join(storeDir, 'server.conf');
    fs.writeFileSync(file, options.config);
    args.push('-c', file);
  }
  let proc: ChildProcess;
  let log = '';
  const launch = async () => {
    log = '';
    proc = spawn(natsServerPath!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitReady(port, proc, () => log);
  };
  const halt = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop() {
      await halt();
      if (!options.storeDir) fs.rmSync(storeDir, { recursive: true, force: true });
    },
    async restart() {
      await halt();
      await launch();
    },
  };
}

/** A TCP proxy in front of a server: `cut()` drops every connection and refuses new ones until `restore()` (a network partition). */
export interface TcpProxy {
  url: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Start a loopback TCP proxy to `targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `nats://127.0.0.1:${port}`,
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
