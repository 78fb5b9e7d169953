import { nodeCleanFs, type CleanFs } from '../../../src/backup/clean-fs.js';
import { faultingReadHandle } from './faulting-read-handle.js';
import type { FaultPlan } from './fault-plan.js';

/**
 * node:fs as `cleanOrphans` and `listBackupSets` use it, every call counted by `plan` (target: the full
 * path) and failed, before it reaches the file system, when it is the one planned. A handle's `close`
 * closes the real file before it fails (no descriptor leaks over hundreds of runs).
 */
export function faultingCleanFs(plan: FaultPlan, base: CleanFs = nodeCleanFs): CleanFs {
  return {
    readdir: async (dir) => (plan.tick('fs.readdir', dir), base.readdir(dir)),
    async open(file, flags) {
      plan.tick('fs.open', file);
      return faultingReadHandle(plan, await base.open(file, flags), file);
    },
    lstat: async (file) => (plan.tick('fs.lstat', file), base.lstat(file)),
    removeTree: async (target) => (plan.tick('fs.removeTree', target), base.removeTree(target)),
    lockInstance: async (dir) => (plan.tick('fs.lockInstance', dir), base.lockInstance(dir)),
  };
}
