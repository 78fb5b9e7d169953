import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { listBackupSets, SetFileError, verifyEseFile, type BackupSetListing } from '../../../src/backup/index.js';
import { committedSet } from '../hostile-helpers.js';
import { errnoError, FaultPlan } from './fault-plan.js';
import { faultingCleanFs } from './faulting-clean-fs.js';

const variants = [
  { name: 'EIO once', persistent: false },
  { name: 'EIO from k on', persistent: true },
] as const;

describe('list fault campaign: every file-system call of listBackupSets (and of the verifies it runs) failed in turn', () => {
  it(
    'throws naming the directory only when it cannot be listed; otherwise every set is listed, and one whose read failed is never verified',
    { timeout: 300_000 },
    async () => {
      const { set, work } = await committedSet({ keys: 8, name: 'a' });
      const root = path.dirname(set);
      fs.cpSync(set, path.join(root, 'b'), { recursive: true });
      fs.mkdirSync(path.join(root, 'not-a-set'));
      fs.writeFileSync(path.join(root, 'not-a-set', 'x'), 'x');
      const plan = new FaultPlan();
      const io = faultingCleanFs(plan);
      plan.arm(0);
      const clean = await listBackupSets(root, { fs: io });
      plan.disarm();
      expect(clean.map((s) => [s.name, s.verified])).toEqual([
        ['a', true],
        ['b', true],
      ]);
      const points = plan.count;
      const kinds = new Set(plan.calls.map((c) => c.split(' ')[0]!));
      for (const kind of ['fs.readdir', 'fs.lstat', 'fs.open', 'fs.fstat', 'fs.read', 'fs.close']) expect(kinds).toContain(kind);
      /** The set (first path part under root) each call of a run was about. */
      const setOf = (call: string) => path.relative(root, call.slice(call.indexOf(' ') + 1)).split(path.sep)[0] ?? '';

      const violations: string[] = [];
      let runs = 0;
      // With verification (the default), and without: then only the manifests are read.
      for (const [verify, variant] of [true, false].flatMap((verify) => variants.map((v) => [verify, v] as const))) {
        for (let k = 1; ; k++) {
          if (k > 2 * points) throw new Error(`${variant.name}: still failing calls at k=${k} (the clean run made ${points})`);
          plan.arm(k, (kind) => errnoError('EIO', kind.slice(3), ''), variant.persistent);
          let listed: BackupSetListing[] | undefined;
          let thrown: unknown;
          try {
            listed = await listBackupSets(root, { fs: io, verify });
          } catch (e) {
            thrown = e;
          } finally {
            plan.disarm();
          }
          if (plan.failed === undefined) break;
          runs++;
          const failedCalls = variant.persistent ? plan.calls.slice(k - 1) : [plan.calls[k - 1]!];
          const hit = new Set(failedCalls.map(setOf));
          const v: string[] = [];
          if (thrown !== undefined) {
            if (!hit.has('') || !/^listBackupSets: cannot list .* \(readdir\): EIO/.test((thrown as Error).message))
              v.push(`threw ${String(thrown)}`);
            if ((thrown as NodeJS.ErrnoException).code !== 'EIO') v.push('the thrown error lost its code');
          } else {
            const byName = new Map(listed!.map((s) => [s.name, s]));
            for (const name of ['a', 'b']) {
              const s = byName.get(name);
              if (!s) v.push(`set ${name} left out of the list`);
              else if (!verify) {
                if (hit.has(name) !== (s.error !== undefined))
                  v.push(`set ${name}: error ${s.error} after ${hit.has(name) ? 'a' : 'no'} failed read`);
                if (hit.has(name) !== (s.mode === undefined))
                  v.push(`set ${name}: mode ${s.mode} after ${hit.has(name) ? 'a' : 'no'} failed read`);
              } else if (hit.has(name) && s.verified !== false) v.push(`set ${name} listed verified after its read failed`);
              else if (!hit.has(name) && s.verified !== true) v.push(`set ${name} not verified though none of its reads failed`);
            }
            const extra = byName.get('not-a-set');
            // Its lstat failed: it cannot be told from a set, so it is listed with the error, never verified.
            if (
              extra &&
              !(
                hit.has('not-a-set') &&
                extra.verified === (verify ? false : undefined) &&
                /cannot lstat .*manifest\.json: EIO/.test(extra.error ?? '')
              )
            )
              v.push(`not-a-set listed: ${JSON.stringify(extra)}`);
          }
          violations.push(...v.map((f) => `verify ${verify}, ${variant.name}, k=${k} (${plan.failed}): ${f}`));
        }
      }
      console.log(
        `list fault campaign: ${points} fault points with verification (${[...kinds].sort().join(', ')}), ${variants.length} ways, with and without verification: ${runs} faulted listings`,
      );
      expect(runs).toBeGreaterThanOrEqual(variants.length * points);
      expect(violations).toEqual([]);
      void work;
    },
  );
});

describe('verifyEseFile fault campaign: every call failed in turn', () => {
  it(
    'a database and a gzipped log: every failure is thrown as a SetFileError naming the file, the operation and the code; never a report',
    { timeout: 120_000 },
    async () => {
      const { set, work } = await committedSet({ keys: 8, name: 'ese' });
      const log = fs.readdirSync(set).find((n) => n.endsWith('.log'))!;
      const gz = path.join(work, `${log}.gz`);
      fs.writeFileSync(gz, gzipSync(fs.readFileSync(path.join(set, log))));
      const plan = new FaultPlan();
      const io = faultingCleanFs(plan);
      const violations: string[] = [];
      let runs = 0;
      for (const file of [path.join(set, 'test.edb'), gz]) {
        plan.arm(0);
        const clean = await verifyEseFile(file, { fs: io });
        plan.disarm();
        expect(clean.ok, file).toBe(true);
        expect(clean.gzip).toBe(file === gz);
        const points = plan.count;
        for (const variant of variants) {
          for (let k = 1; k <= points; k++) {
            plan.arm(k, (kind) => errnoError('EIO', kind.slice(3), ''), variant.persistent);
            let thrown: unknown;
            try {
              await verifyEseFile(file, { fs: io });
            } catch (e) {
              thrown = e;
            } finally {
              plan.disarm();
            }
            runs++;
            const what = `${path.basename(file)}, ${variant.name}, k=${k} (${plan.failed})`;
            const operation = /^#\d+ fs\.(\w+)/.exec(plan.failed ?? '')?.[1];
            if (!(thrown instanceof SetFileError))
              violations.push(`${what}: ${thrown === undefined ? 'a report' : `threw ${String(thrown)}`}`);
            else if (!thrown.message.startsWith(`${file}: ${operation} failed: EIO`) || thrown.code !== 'EIO')
              violations.push(`${what}: ${thrown.message} (${thrown.code})`);
          }
        }
      }
      console.log(`verifyEseFile fault campaign: ${runs} faulted verifies`);
      expect(violations).toEqual([]);
    },
  );
});
