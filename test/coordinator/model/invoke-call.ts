import type { JetCall, JetCallDone } from '../../../machines/index.js';
import { JetError, type JetBackupApi, type JetInstance } from '../../../src/jet/index.js';

/** An engine's answer: the event data of `<CALL>.DONE`, or a JET error. */
export type Answer = { ok: Omit<JetCallDone, 'type'> } | { err: number };

const buffers = new Map<number, Uint8Array>();
const bufferOf = (size: number) => buffers.get(size) ?? buffers.set(size, new Uint8Array(size)).get(size)!;

/** Make `call` on `api` (anything but STOP_BACKUP) and report the answer; `offset` tracks reads. */
export async function invokeCall(api: JetBackupApi, inst: JetInstance, call: JetCall, cursor: { offset: number }): Promise<Answer> {
  try {
    switch (call.type) {
      case 'BEGIN_EXTERNAL_BACKUP':
        await api.beginExternalBackup(inst, call.grbit);
        return { ok: { grbit: call.grbit } };
      case 'GET_ATTACH_INFO':
        return { ok: { files: await api.getAttachInfo(inst) } };
      case 'OPEN_FILE': {
        const r = await api.openFile(inst, call.name);
        cursor.offset = 0;
        return { ok: { name: call.name, size: String(r.size) } };
      }
      case 'READ_FILE': {
        const bytes = await api.readFile(inst, BigInt(call.handle), bufferOf(call.size));
        cursor.offset += bytes;
        return { ok: { bytes, offset: cursor.offset } };
      }
      case 'CLOSE_FILE':
        await api.closeFile(inst, BigInt(call.handle));
        return { ok: {} };
      case 'GET_LOG_INFO':
        return { ok: { files: await api.getLogInfo(inst) } };
      case 'GET_TRUNCATE_LOG_INFO':
        return { ok: { files: await api.getTruncateLogInfo(inst) } };
      case 'TRUNCATE_LOG':
        await api.truncateLog(inst);
        return { ok: {} };
      case 'END_EXTERNAL_BACKUP':
        await api.endExternalBackup(inst, call.grbit);
        return { ok: { grbit: call.grbit } };
      case 'STOP_SERVICE':
        await api.stopService(inst, call.grbit);
        return { ok: { grbit: call.grbit } };
      case 'TERM':
        await api.term(inst, call.grbit);
        return { ok: { grbit: call.grbit } };
      case 'STOP_BACKUP':
        api.stopBackup(inst);
        return { ok: {} };
    }
  } catch (e) {
    if (e instanceof JetError) return { err: e.err };
    throw e;
  }
}

/** Whether an answer is one the verdict allows; a message when not. */
export function disagreement(v: import('../../../machines/index.js').Verdict, answer: Answer): string | undefined {
  const got = 'err' in answer ? `err ${answer.err}` : 'success';
  if (v.kind === 'allowed') return 'err' in answer ? `verdict allowed, engine answered ${got}` : undefined;
  if (v.kind === 'refused')
    return 'err' in answer && [v.err, ...v.or].includes(answer.err)
      ? undefined
      : `verdict refused ${v.err} (${v.rule}), engine answered ${got}`;
  return !('err' in answer) || v.errs.includes(answer.err)
    ? undefined
    : `verdict depends [${v.errs.join(',')}] (${v.rule}), engine answered ${got}`;
}
