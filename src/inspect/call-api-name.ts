import { JetApiName } from '../jet/index.js';

/**
 * The ESE function a chart event stands for: `'READ_FILE'` and `'READ_FILE.DONE'` are
 * `JetReadFileInstance`, `'STOP_BACKUP'` is `JetStopBackupInstance`.
 *
 * @param type a chart event type (a call, or its answer `<CALL>.DONE`).
 * @returns the ESE name, or `undefined` for an event that is no ESE call (`RESET`, `xstate.init`).
 * @example
 * callApiName('GET_LOG_INFO.DONE') // 'JetGetLogInfoInstance'
 */
export function callApiName(type: string): string | undefined {
  const method = type
    .replace(/\.DONE$/, '')
    .toLowerCase()
    .replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return Object.hasOwn(JetApiName, method) ? JetApiName[method as keyof typeof JetApiName] : undefined;
}
