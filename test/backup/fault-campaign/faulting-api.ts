import { jetBackupMethods, type JetBackupApi } from '../../../src/jet/index.js';
import type { FaultPlan } from './fault-plan.js';

/** The JET calls a run makes (`stopBackup` is synchronous and only sets a flag: it is not failed). */
const calls = jetBackupMethods.filter((m) => m !== 'stopBackup');

/**
 * A real backend (the embedded engine) with every JET call counted by `plan` and failed, before it
 * reaches the engine, when it is the one planned.
 */
export function faultingApi(plan: FaultPlan, api: JetBackupApi): JetBackupApi {
  const wrapped: Record<string, unknown> = { backend: api.backend, stopBackup: (inst: bigint) => api.stopBackup(inst) };
  for (const name of calls) {
    const real = api[name] as (...args: unknown[]) => Promise<unknown>;
    wrapped[name] = async (...args: unknown[]) => {
      plan.tick(`jet.${name}`, typeof args[1] === 'string' ? args[1] : '');
      return real.apply(api, args);
    };
  }
  return wrapped as unknown as JetBackupApi;
}
