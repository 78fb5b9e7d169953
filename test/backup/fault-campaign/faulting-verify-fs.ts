import path from 'node:path';
import { nodeVerifyFs, type VerifyFileHandle, type VerifyFs } from '../../../src/backup/verify-fs.js';
import type { FaultPlan } from './fault-plan.js';

/**
 * node:fs as `verifyBackupSet` reads a set, every call counted by `plan` (target: the file's base
 * name) and failed when it is the one planned. A handle's `close` closes the real file before it
 * fails (no descriptor leaks over hundreds of runs); every other call fails before it reaches the
 * file system.
 */
export function faultingVerifyFs(plan: FaultPlan, base: VerifyFs = nodeVerifyFs): VerifyFs {
  const wrapHandle = (h: VerifyFileHandle, name: string): VerifyFileHandle => {
    // One function for both overloads of `stat`: the caller's options go through unchanged.
    const stat = async (options?: { bigint: true }) => {
      plan.tick('fs.fstat', name);
      return options ? h.stat(options) : h.stat();
    };
    return {
      read: async (b, o, l, p) => (plan.tick('fs.read', name), h.read(b, o, l, p)),
      stat: stat as VerifyFileHandle['stat'],
      async close() {
        await h.close();
        plan.tick('fs.close', name);
      },
    };
  };
  return {
    readdir: async (dir) => (plan.tick('fs.readdir', path.basename(dir)), base.readdir(dir)),
    async open(file, flags) {
      plan.tick('fs.open', path.basename(file));
      return wrapHandle(await base.open(file, flags), path.basename(file));
    },
  };
}
