import { nodeBackupFs, type BackupFileHandle, type BackupFs } from '../../../src/backup/backup-fs.js';
import { faultingReadHandle } from './faulting-read-handle.js';
import type { FaultPlan } from './fault-plan.js';

/**
 * node:fs as the runner uses it (writes, the post-commit verify's reads, the clean before the run), every call counted by `plan` and failed when it is the one
 * planned. A handle's `close` closes the real file before it fails (no descriptor leaks over hundreds
 * of runs); every other call fails before it reaches the file system.
 */
export function faultingFs(plan: FaultPlan, base: BackupFs = nodeBackupFs): BackupFs {
  const wrapHandle = (h: BackupFileHandle, file: string): BackupFileHandle => ({
    write: async (b, o, l, p) => (plan.tick('fs.write', file), h.write(b, o, l, p)),
    datasync: async () => (plan.tick('fs.fdatasync', file), h.datasync()),
    sync: async () => (plan.tick('fs.fsync', file), h.sync()),
    async close() {
      await h.close();
      plan.tick('fs.close', file);
    },
  });
  return {
    async openRead(file, flags) {
      plan.tick('fs.open:read', file);
      return faultingReadHandle(plan, await base.openRead(file, flags), file);
    },
    readdir: async (dir) => (plan.tick('fs.readdir', dir), base.readdir(dir)),
    async open(file, flags) {
      plan.tick(`fs.open:${flags}`, file);
      return wrapHandle(await base.open(file, flags), file);
    },
    mkdir: async (dir) => (plan.tick('fs.mkdir', dir), base.mkdir(dir)),
    lstat: async (file) => (plan.tick('fs.lstat', file), base.lstat(file)),
    rename: async (from, to) => (plan.tick('fs.rename', `${from} -> ${to}`), base.rename(from, to)),
    link: async (from, to) => (plan.tick('fs.link', `${from} -> ${to}`), base.link(from, to)),
    unlink: async (file) => (plan.tick('fs.unlink', file), base.unlink(file)),
    removeTree: async (dir) => (plan.tick('fs.removeTree', dir), base.removeTree(dir)),
  };
}
