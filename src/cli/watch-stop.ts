import type { Coordinator, JetCall, StopReason } from '../coordinator/index.js';
import { JET_bit, JetError, jetErrName, type JetBackupApi, type JetInstance } from '../jet/index.js';

/** What the coordinator answers to one call at a moment: allowed, refused with an ESE error, or up to the data. */
export interface CallVerdict {
  api: string;
  kind: 'allowed' | 'refused' | 'depends';
  err?: number;
  code?: string;
  rule?: string;
}

/** What {@link watchStop} saw when the stop came. */
export interface StopProbe {
  reason: StopReason;
  /** The verdict of each backup call right after the stop. */
  verdicts: CallVerdict[];
  /** A real JetReadFileInstance through the guarded session, made right after the stop. */
  read: { error: JetError | Error | undefined; bytes?: number };
}

const probes = (readSize: number, database: string): Array<[string, JetCall]> => [
  ['JetReadFileInstance', { type: 'READ_FILE', handle: '0', size: readSize }],
  ['JetOpenFileInstance', { type: 'OPEN_FILE', name: database }],
  ['JetGetAttachInfoInstance', { type: 'GET_ATTACH_INFO' }],
  ['JetGetLogInfoInstance', { type: 'GET_LOG_INFO' }],
  ['JetTruncateLogInstance', { type: 'TRUNCATE_LOG' }],
  ['JetBeginExternalBackupInstance', { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }],
  ['JetCloseFileInstance', { type: 'CLOSE_FILE', handle: '0' }],
  ['JetEndExternalBackupInstance2', { type: 'END_EXTERNAL_BACKUP', grbit: JET_bit.BackupEndAbort }],
];

/** The coordinator's verdict on each backup call for `inst` now (reference §2: after JetStopBackupInstance every streaming call answers -801 while Close and End stay allowed). */
function callVerdicts(coordinator: Coordinator, inst: JetInstance, readSize = 1024 * 1024, database = ''): CallVerdict[] {
  return probes(readSize, database).map(([api, call]) => {
    const v = coordinator.verdict(inst, call);
    if (v.kind === 'refused') return { api, kind: v.kind, err: v.err, code: jetErrName(v.err), rule: v.rule };
    if (v.kind === 'depends') return { api, kind: v.kind, rule: v.rule };
    return { api, kind: v.kind };
  });
}

/**
 * Watches `inst` for a stop; when one reaches its open session, takes the verdicts of every backup
 * call and makes one real read through the guarded session (queued behind the read in flight, it is
 * answered -801 without reaching the engine).
 *
 * @param wrap wraps the guarded session for the read (the inspector's timeline records the refusal).
 * @returns `dispose`, which resolves with what was seen, or `undefined` if no stop reached a session.
 * @example
 * const watch = watchStop(coordinator, inst); …; const probe = await watch.dispose();
 */
export function watchStop(
  coordinator: Coordinator,
  inst: JetInstance,
  wrap: (session: JetBackupApi) => JetBackupApi = (s) => s,
  readSize = 1024 * 1024,
): { dispose(): Promise<StopProbe | undefined> } {
  let probe: Promise<StopProbe> | undefined;
  const subscription = coordinator.state$(inst).subscribe((snapshot) => {
    const session = snapshot.context.session;
    if (probe || !session?.open || !session.stopReason) return;
    const reason = session.stopReason;
    const verdicts = callVerdicts(coordinator, inst, readSize, session.databases?.[0] ?? '');
    probe = wrap(coordinator.session(inst))
      .readFile(inst, 0n, new Uint8Array(readSize))
      .then(
        (bytes) => ({ reason, verdicts, read: { error: undefined, bytes } }),
        (error: Error) => ({ reason, verdicts, read: { error } }),
      );
  });
  return {
    async dispose() {
      subscription.unsubscribe();
      return probe;
    },
  };
}
