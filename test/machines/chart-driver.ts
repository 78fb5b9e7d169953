import { createActor, type Actor } from 'xstate';
import { instanceBackup, verdict } from '../../machines/index.js';
import type { InstanceBackupInput, JetCall, JetCallDone, Verdict } from '../../machines/index.js';

/** A started chart whose `stopBackup` action is counted in `stops`. */
export interface Chart {
  actor: Actor<typeof instanceBackup>;
  /** Backend JetStopBackupInstance calls the chart made. */
  stops: number;
  verdict(call: JetCall): Verdict;
  /** Forward `call` the way the coordinator does: the call event, then its answer. */
  forward(call: JetCall, answer: Omit<JetCallDone, 'type'> | { err: number }): void;
  stop(reason?: Extract<JetCall, { type: 'STOP_BACKUP' }>['reason']): void;
  value(): unknown;
  context(): ReturnType<Actor<typeof instanceBackup>['getSnapshot']>['context'];
}

/** Start a chart for instance '4096' (or `input`). */
export function chart(input: Partial<InstanceBackupInput> = {}): Chart {
  const c: Chart = {
    stops: 0,
    actor: createActor(instanceBackup.provide({ actions: { stopBackup: () => void (c.stops += 1) } }), {
      input: { instance: '4096', ...input },
    }).start(),
    verdict: (call) => verdict(c.actor.getSnapshot(), call),
    forward(call, answer) {
      if (call.type !== 'READ_FILE' && call.type !== 'STOP_BACKUP') c.actor.send(call);
      if ('err' in answer) c.actor.send({ type: 'JET_ERROR', call, err: answer.err });
      else c.actor.send({ type: `${call.type}.DONE`, ...answer } as JetCallDone);
    },
    stop: (reason) => c.actor.send(reason ? { type: 'STOP_BACKUP', reason } : { type: 'STOP_BACKUP' }),
    value: () => c.actor.getSnapshot().value,
    context: () => c.actor.getSnapshot().context,
  };
  return c;
}

export const DB = '/data/inst/test.edb';
export const LOG1 = '/data/inst/edb00001.log';
export const LOG2 = '/data/inst/edb00002.log';
export const SIZE = String(8 * 4096);

/** Begin(grbit) answered 0. */
export function begin(c: Chart, grbit = 0): void {
  c.forward({ type: 'BEGIN_EXTERNAL_BACKUP', grbit }, { grbit });
}

/** Open `name`, read it to EOF (one read reaching the size, then 0 bytes), close it. */
export function copy(c: Chart, name: string): void {
  c.forward({ type: 'OPEN_FILE', name }, { name, size: SIZE });
  c.forward({ type: 'READ_FILE', handle: '0', size: 65536 }, { bytes: Number(SIZE), offset: Number(SIZE) });
  c.forward({ type: 'CLOSE_FILE', handle: '0' }, {});
}

/** A full session through GetLogInfo with every file copied. */
export function fullCopied(c: Chart): void {
  begin(c);
  c.forward({ type: 'GET_ATTACH_INFO' }, { files: [DB] });
  copy(c, DB);
  c.forward({ type: 'GET_LOG_INFO' }, { files: [LOG1, LOG2] });
  copy(c, LOG1);
  copy(c, LOG2);
}

/** The verdict as a short string: 'allowed', 'refused -801', 'depends -1018,-1022'. */
export function said(v: Verdict): string {
  if (v.kind === 'allowed') return 'allowed';
  return v.kind === 'refused' ? `refused ${v.err}` : `depends ${v.errs.join(',')}`;
}
