import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyBackupSet, type BackupSetReport } from '../../../src/backup/index.js';
import { committedSet, within } from '../hostile-helpers.js';
import { errnoError, FaultPlan } from './fault-plan.js';
import { faultingVerifyFs } from './faulting-verify-fs.js';

/** Every file of the set with its bytes' SHA-256: the set must read the same after every verify. */
function setBytes(set: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(set).sort())
    out[name] = createHash('sha256')
      .update(fs.readFileSync(path.join(set, name)))
      .digest('hex');
  return out;
}

/**
 * Fails every file-system call of a verify in turn (call k of the clean run's N, for every k), once
 * with EIO and once as a dead disk (call k and every call after it). After each run: the verify
 * answered within a bound; it either rejected with the injected error because the listing failed
 * (documented: the directory cannot be listed), or reported `ok: false` with a problem naming the
 * file whose call failed; and the set's bytes are unchanged.
 */
async function campaign(set: string, signKey: Uint8Array | undefined, label: string): Promise<void> {
  const before = setBytes(set);
  const plan = new FaultPlan();
  const io = faultingVerifyFs(plan);
  const options = { fs: io, ...(signKey ? { signKey } : {}) };
  plan.arm(0);
  const clean = await within(verifyBackupSet(set, options), 30_000, `${label}: clean verify`);
  plan.disarm();
  expect(clean.problems).toEqual([]);
  expect(clean.ok).toBe(true);
  const points = plan.count;
  const kinds = new Set(plan.calls.map((c) => c.split(' ')[0]));
  console.log(`verify fault campaign (${label}): ${points} fault points (${[...kinds].join(', ')}), each failed as EIO and as a dead disk`);
  expect(points).toBeGreaterThan(10);
  for (const persistent of [false, true]) {
    for (let k = 1; k <= points; k++) {
      const what = `${label} k=${k}${persistent ? ' (dead disk)' : ''}`;
      let injected: Error | undefined;
      plan.arm(k, (kind, n) => (injected ??= errnoError('EIO', kind, `call ${n}`)), persistent);
      let report: BackupSetReport | undefined;
      let thrown: unknown;
      try {
        report = await within(verifyBackupSet(set, options), 30_000, what);
      } catch (e) {
        thrown = e;
      } finally {
        plan.disarm();
      }
      const failed = plan.failed;
      expect(failed, `${what}: call ${k} was never made`).toBeDefined();
      const [, kind, name] = /^#\d+ (\S+) (\S+)/.exec(failed!)!;
      if (thrown !== undefined) {
        // The only documented throw: the set's directory cannot be listed.
        expect(kind, `${what}: verify threw ${String(thrown)} after ${failed}`).toBe('fs.readdir');
        expect(thrown).toBe(injected);
        continue;
      }
      expect(report!.ok, `${what}: ok after ${failed}`).toBe(false);
      const named = report!.problems.filter((p) => p.file === name);
      expect(named.length, `${what}: no problem names ${name} after ${failed}: ${JSON.stringify(report!.problems)}`).toBeGreaterThan(0);
      expect(
        named.some((p) => p.message.includes('EIO')),
        `${what}: the problem about ${name} does not say EIO: ${JSON.stringify(named)}`,
      ).toBe(true);
    }
  }
  expect(setBytes(set)).toEqual(before);
}

describe('verify fault campaign: every file-system call of verifyBackupSet failed in turn', () => {
  it(
    'a full set: never ok after a failed call, the file named, no throw but the listing, the set untouched',
    { timeout: 300_000 },
    async () => {
      const { set } = await committedSet({ name: 'full-verify-faults' });
      await campaign(set, undefined, 'full set');
    },
  );

  it('a signed set verified with its key: the same, manifest.sig included', { timeout: 300_000 }, async () => {
    const key = new Uint8Array(32).fill(7);
    const { set } = await committedSet({ name: 'signed-verify-faults', signKey: key });
    await campaign(set, key, 'signed set');
  });

  it('an fs option that is not a VerifyFs is a TypeError, before anything is read', async () => {
    await expect(verifyBackupSet('/nonexistent-set', { fs: {} as never })).rejects.toThrow(/options\.fs must be a VerifyFs/);
  });
});
