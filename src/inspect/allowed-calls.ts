import { verdict, type InstanceBackupSnapshot, type JetCall } from '../coordinator/index.js';
import { jetErrName } from '../jet/index.js';
import { callApiName } from './call-api-name.js';

/** What the engine would answer to one call now. */
export interface CallVerdict {
  /** The call as shown: `JetEndExternalBackupInstance2(Abort)`. */
  label: string;
  /** The chart event (`'END_EXTERNAL_BACKUP'`). */
  event: JetCall['type'];
  /** `allowed`: 0; `depends`: 0 or one of `errs`, decided by data; `refused`: `err`, without the engine. */
  kind: 'allowed' | 'depends' | 'refused';
  err?: number;
  code?: string;
  /** Codes the data may still produce (`depends`). */
  codes?: string[];
  /** The rule that decides (the chart's words). */
  rule?: string;
}

const base = (p: string) => p.split(/[\\/]/).pop() ?? p;

/** The calls the page lists, with arguments that make the verdict as telling as the snapshot allows. */
function probes(snapshot: InstanceBackupSnapshot): Array<[string, JetCall]> {
  const { session, facts } = snapshot.context;
  const copied = new Set(session?.copied ?? []);
  const pending = [...(session?.rangesFixed || session?.incremental ? (session.logs ?? []) : (session?.databases ?? []))].find(
    (f) => !copied.has(f),
  );
  const name = session?.file?.name ?? pending;
  const pages = (facts.pageSize ?? 32768) * 4;
  return [
    ['JetBeginExternalBackupInstance', { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }],
    ['JetBeginExternalBackupInstance(Incremental)', { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0x1 }],
    ['JetGetAttachInfoInstance', { type: 'GET_ATTACH_INFO' }],
    [`JetOpenFileInstance(${name ? base(name) : 'a file'})`, { type: 'OPEN_FILE', name: name ?? 'file' }],
    [`JetReadFileInstance(${pages / 1024} KiB)`, { type: 'READ_FILE', handle: '0', size: pages }],
    ['JetCloseFileInstance', { type: 'CLOSE_FILE', handle: '0' }],
    ['JetGetLogInfoInstance', { type: 'GET_LOG_INFO' }],
    ['JetGetTruncateLogInfoInstance', { type: 'GET_TRUNCATE_LOG_INFO' }],
    ['JetTruncateLogInstance', { type: 'TRUNCATE_LOG' }],
    ['JetEndExternalBackupInstance2(Normal)', { type: 'END_EXTERNAL_BACKUP', grbit: 0x1 }],
    ['JetEndExternalBackupInstance2(Abort)', { type: 'END_EXTERNAL_BACKUP', grbit: 0x2 }],
    ['JetStopBackupInstance', { type: 'STOP_BACKUP' }],
    ['JetStopServiceInstance2', { type: 'STOP_SERVICE', grbit: 0 }],
    ['JetTerm2(Abrupt)', { type: 'TERM', grbit: 0x2 }],
  ];
}

/**
 * The ESE calls an instance may make now, as its chart judges them (`verdict`): allowed, allowed
 * unless the data says otherwise, or refused with the JET code the coordinator would answer.
 * File-level calls are judged for the open file, else the next file still to copy.
 *
 * @param snapshot the instance's chart snapshot.
 * @returns one verdict per call, in the order of a backup.
 * @example
 * allowedCalls(coordinator.snapshot(inst)).filter((c) => c.kind !== 'refused').map((c) => c.label)
 */
export function allowedCalls(snapshot: InstanceBackupSnapshot): CallVerdict[] {
  return probes(snapshot).map(([label, call]) => {
    const v = verdict(snapshot, call);
    const out: CallVerdict = { label: label || (callApiName(call.type) ?? call.type), event: call.type, kind: v.kind };
    if (v.kind === 'refused') Object.assign(out, { err: v.err, code: jetErrName(v.err), rule: v.rule });
    if (v.kind === 'depends') Object.assign(out, { codes: v.errs.map(jetErrName), rule: v.rule });
    return out;
  });
}
