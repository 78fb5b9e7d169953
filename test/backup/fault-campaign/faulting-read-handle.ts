import type { VerifyFileHandle } from '../../../src/backup/verify-fs.js';
import type { FaultPlan } from './fault-plan.js';

/**
 * A read handle whose read, fstat and close are counted by `plan` as calls on `target` and failed when
 * planned: read and fstat before they reach the file; close after the real file is closed (no
 * descriptor leaks over hundreds of runs). Shared by the runner's, verify's and clean's faulting seams.
 */
export function faultingReadHandle(plan: FaultPlan, h: VerifyFileHandle, target: string): VerifyFileHandle {
  // One function for both overloads of `stat`: the caller's options go through unchanged.
  const stat = async (options?: { bigint: true }) => (plan.tick('fs.fstat', target), options ? h.stat(options) : h.stat());
  return {
    read: async (b, o, l, p) => (plan.tick('fs.read', target), h.read(b, o, l, p)),
    stat: stat as VerifyFileHandle['stat'],
    async close() {
      await h.close();
      plan.tick('fs.close', target);
    },
  };
}
