import path from 'node:path';
import { faultingReadHandle } from './faulting-read-handle.js';
import { nodeVerifyFs, type VerifyFs } from '../../../src/backup/verify-fs.js';
import type { FaultPlan } from './fault-plan.js';

/**
 * node:fs as `verifyBackupSet` reads a set, every call counted by `plan` (target: the file's base
 * name) and failed when it is the one planned. A handle's `close` closes the real file before it
 * fails (no descriptor leaks over hundreds of runs); every other call fails before it reaches the
 * file system.
 */
export function faultingVerifyFs(plan: FaultPlan, base: VerifyFs = nodeVerifyFs): VerifyFs {
  return {
    readdir: async (dir) => (plan.tick('fs.readdir', path.basename(dir)), base.readdir(dir)),
    async open(file, flags) {
      plan.tick('fs.open', path.basename(file));
      return faultingReadHandle(plan, await base.open(file, flags), path.basename(file));
    },
  };
}
