import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { prerequisite } from '../support/prerequisite.js';

/** Debian's chromium, installed by `.ci/run` (apt). */
export const chromiumPath = '/usr/bin/chromium';

/** Whether the browser tests can run; when not, they are skipped with this reason (in CI the file fails instead). */
export const noChromium = prerequisite(
  fs.existsSync(chromiumPath)
    ? undefined
    : `browser tests skipped: ${chromiumPath} not found (install Debian's chromium: apt-get install -y chromium)`,
);

/** A headless Chromium with a fresh profile, and the requests its pages tried beyond loopback. */
export interface Browser {
  context: BrowserContext;
  page: Page;
  /** URLs of requests that were not to 127.0.0.1 / localhost (each was refused). */
  offLoopback: string[];
  close(): Promise<void>;
}

/**
 * Launch Chromium with no network: a fresh `--user-data-dir` under `dir`, background networking off,
 * every proxied (non-loopback) request sent to a dead proxy, and each request not to loopback
 * recorded and aborted.
 */
export async function launchChromium(dir: string): Promise<Browser> {
  const profile = path.join(dir, 'chromium-profile');
  fs.mkdirSync(profile, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--proxy-server=http://127.0.0.1:9',
    ],
    viewport: { width: 1600, height: 1000 },
  });
  const offLoopback: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
    offLoopback.push(url.href);
    return route.abort('internetdisconnected');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, offLoopback, close: () => context.close() };
}
