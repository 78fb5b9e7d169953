// The inspector in real Chromium, offline, over the real embedded engine: the active state, a live
// stop from an AbortSignal, the refused calls with their JET code, the outcome; then the STOP button.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fromAbortSignal } from '../../src/coordinator/index.js';
import { JET_bit, JET_err, JetError } from '../../src/jet/index.js';
import { launchChromium, noChromium, type Browser } from './chromium.js';
import { inspectorFixture, type InspectorFixture } from './inspector-fixture.js';

let fx: InspectorFixture | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  await fx?.close();
  browser = undefined;
  fx = undefined;
});

/** Open the instance's backup up to a read of its database. */
async function readingDatabase(f: InspectorFixture) {
  await f.backup.beginExternalBackup(f.inst, 0);
  const [db] = await f.backup.getAttachInfo(f.inst);
  const { handle } = await f.backup.openFile(f.inst, db!);
  const buffer = new Uint8Array(8192 * 4);
  await f.backup.readFile(f.inst, handle, buffer);
  return { handle, buffer };
}

const refusedWith = async (p: Promise<unknown>, err: number) =>
  expect(
    await p.then(
      () => null,
      (e: unknown) => e,
    ),
  ).toSatisfy((e) => e instanceof JetError && e.err === err);

describe.skipIf(noChromium !== undefined)(noChromium ?? 'inspector page in Chromium', () => {
  it('shows the active state, then a live stop with its source, the refused calls and the outcome; no network used', async () => {
    fx = await inspectorFixture({ keep: true });
    const f = fx;
    const { handle, buffer } = await readingDatabase(f);
    browser = await launchChromium(f.dir);
    const page = browser.page;
    await page.goto(f.inspector.url);
    const card = page.locator(`section.instance[data-instance="${f.inst}"]`);
    const state = card.locator('[data-field="state"]');
    await expect.poll(() => state.textContent()).toContain('backup.session.phase.databases');
    expect(await state.textContent()).toContain('backup.session.file.open');
    expect(await card.locator('g[data-state="backup.session.file.open"]').getAttribute('class')).toMatch(/\bactive\b/);
    expect(await card.locator('g[data-state="backup.noSession.idle"]').getAttribute('class')).not.toMatch(/\bactive\b/);
    expect(await card.locator('tr[data-event="READ_FILE"]').getAttribute('data-kind')).toBe('depends');
    expect(await card.locator('button[data-action="stop"]').count()).toBe(0); // read-only by default

    // A stop through the coordinator, from an AbortSignal: the page shows it pushed (SSE), well within a
    // second on a loaded 2-core machine; a page that polled would not (its only timer is a 15 s keep-alive).
    const controller = new AbortController();
    f.coordinator.stopWhen(fromAbortSignal(controller.signal));
    const stoppedAt = Date.now();
    controller.abort(new Error('operator'));
    await card.locator('[data-field="state"]', { hasText: 'backup.session.stop.stopped' }).waitFor();
    const shownAt = Number(await page.locator('body').getAttribute('data-updated-at'));
    expect(shownAt - stoppedAt).toBeLessThan(1000);
    expect(await card.locator('g[data-state="backup.session.stop.stopped"]').getAttribute('class')).toMatch(/\bactive\b/);
    expect(await card.locator('[data-field="stop-source"]').textContent()).toBe('AbortSignal (operator)');
    expect(await card.locator('li[data-kind="stop"][data-source="abort"]').textContent()).toContain(
      'stop requested by AbortSignal (operator): session stopped',
    );

    // Calls after the stop: refused by the coordinator with -801, shown with their JET code.
    await refusedWith(f.backup.readFile(f.inst, handle, buffer), JET_err.BackupAbortByServer);
    await refusedWith(f.backup.getLogInfo(f.inst), JET_err.BackupAbortByServer);
    const refused = card.locator('li[data-kind="refused"][data-code="JET_errBackupAbortByServer"]');
    await expect.poll(() => refused.count()).toBe(2);
    expect(await refused.allTextContents()).toEqual([
      expect.stringContaining('JetGetLogInfoInstance refused: JET_errBackupAbortByServer (-801)'),
      expect.stringContaining('JetReadFileInstance refused: JET_errBackupAbortByServer (-801)'),
    ]);
    expect(await card.locator('tr[data-event="READ_FILE"] td.verdict').textContent()).toBe('✗ JET_errBackupAbortByServer (-801)');
    expect(await card.locator('tr[data-event="CLOSE_FILE"]').getAttribute('data-kind')).toBe('allowed');

    const stoppedShot = path.join(f.dir, 'inspector-stopped.png');
    await page.screenshot({ path: stoppedShot });
    await f.backup.closeFile(f.inst, handle);
    await f.backup.endExternalBackup(f.inst, JET_bit.BackupEndNormal);
    await expect.poll(() => card.locator('[data-field="outcome"]').textContent()).toBe('stopped by the server (JetStopBackupInstance)');
    expect(await state.textContent()).toContain('backup.noSession.idle');

    const endedShot = path.join(f.dir, 'inspector-ended.png');
    await page.screenshot({ path: endedShot });
    for (const shot of [stoppedShot, endedShot]) expect(fs.statSync(shot).size).toBeGreaterThan(20_000);
    console.log(`inspector screenshots: ${stoppedShot}, ${endedShot}`);
    expect(browser.offLoopback).toEqual([]);
  });

  it('with allowStop, the STOP button stops the backup; the source reads "app (inspector STOP button)"', async () => {
    fx = await inspectorFixture({ allowStop: true });
    const f = fx;
    const { handle, buffer } = await readingDatabase(f);
    browser = await launchChromium(f.dir);
    const page = browser.page;
    await page.goto(f.inspector.url);
    const card = page.locator(`section.instance[data-instance="${f.inst}"]`);
    await card.locator('button[data-action="stop"]').click();
    await expect.poll(() => card.locator('[data-field="stop-source"]').textContent()).toBe('app (inspector STOP button)');
    expect(await card.locator('[data-field="state"]').textContent()).toContain('backup.session.stop.stopped');
    expect(f.coordinator.snapshot(f.inst).context.stops).toBe(1);
    // The stop reached the engine itself: it answers -801 too.
    await refusedWith(f.engine.readFile(f.inst, handle, buffer), JET_err.BackupAbortByServer);
    await refusedWith(f.backup.readFile(f.inst, handle, buffer), JET_err.BackupAbortByServer);
    await expect.poll(() => card.locator('li[data-kind="refused"]').count()).toBe(1);
    expect(browser.offLoopback).toEqual([]);
  });
});
