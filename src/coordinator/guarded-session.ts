import type { ActorRefFrom } from 'xstate';
import { verdict, type JetCall, type JetCallDone, type Verdict, type instanceBackup } from '../../machines/index.js';
import {
  JET_bit,
  JetApiName,
  JetError,
  jetErrDescription,
  type JetBackupApi,
  type JetBackupMethod,
  type JetInstance,
} from '../jet/index.js';
import { SerialQueue } from './serial-queue.js';

/** One instance as the coordinator holds it: its chart, its call queue, and the read cursor. */
export interface InstanceSlot {
  readonly inst: JetInstance;
  readonly actor: ActorRefFrom<typeof instanceBackup>;
  readonly queue: SerialQueue;
  /** Bytes read from the open file and its announced size: reads are the hot path, the chart hears only EOF. */
  offset: number;
  size: number;
}

/** A fresh slot for `inst`. */
export function instanceSlot(inst: JetInstance, actor: InstanceSlot['actor']): InstanceSlot {
  return { inst, actor, queue: new SerialQueue(), offset: 0, size: 0 };
}

const typeError = (method: JetBackupMethod, what: string) => new TypeError(`${JetApiName[method]}: ${what}`);

/** The JetError the engine would answer, raised without reaching it. */
function refusal(method: JetBackupMethod, err: number, rule: string, file?: string): JetError {
  return new JetError(JetApiName[method], err, {
    detail: `${jetErrDescription(err) ?? 'refused'} (refused before the engine: ${rule})`,
    ...(file === undefined ? {} : { file }),
  });
}

/**
 * The guarded `JetBackupApi` of one instance. Each call, in its turn on the instance's queue, is
 * checked with `verdict`: refused calls reject with that JetError and never reach `api`; others are
 * forwarded, and the call and its answer are sent to the chart. `stopBackup` is synchronous and not
 * queued: it goes to the chart, which calls the backend once per session.
 *
 * @throws TypeError for arguments of the wrong JavaScript type, RangeError for another instance.
 */
export function guardedSession(
  slot: InstanceSlot,
  api: JetBackupApi,
  stop: () => void,
  held: () => Verdict | undefined = () => undefined,
): JetBackupApi {
  const { actor, queue } = slot;
  const own = (method: JetBackupMethod, inst: unknown) => {
    if (typeof inst !== 'bigint') throw typeError(method, `instance must be a bigint, got ${typeof inst}`);
    if (inst !== slot.inst) throw new RangeError(`${JetApiName[method]}: this session guards instance ${slot.inst}, not ${inst}`);
  };
  const grbitOf = (method: JetBackupMethod, grbit: unknown, fallback: number): number => {
    if (grbit === undefined) return fallback;
    if (typeof grbit !== 'number') throw typeError(method, `grbit must be a number, got ${typeof grbit}`);
    return grbit;
  };

  /** Check, forward, report: the path of every call but Read and Stop. */
  function guarded<T>(
    method: JetBackupMethod,
    call: JetCall,
    invoke: () => Promise<T>,
    done: (out: T) => JetCallDone,
    file?: string,
  ): Promise<T> {
    return queue.run(async () => {
      // A hold (coordinator.hold) refuses Begin before the chart is asked.
      const v = (call.type === 'BEGIN_EXTERNAL_BACKUP' ? held() : undefined) ?? verdict(actor.getSnapshot(), call);
      if (v.kind === 'refused') throw refusal(method, v.err, v.rule, file);
      actor.send(call);
      let out: T;
      try {
        out = await invoke();
      } catch (e) {
        // A non-JET failure (a TypeError of the backend) only settles the call: err 0 matches no rule.
        actor.send({ type: 'JET_ERROR', call, err: e instanceof JetError ? e.err : 0 });
        throw e;
      }
      actor.send(done(out));
      return out;
    });
  }

  return {
    backend: api.backend,
    beginExternalBackup(inst, grbit) {
      own('beginExternalBackup', inst);
      const g = grbitOf('beginExternalBackup', grbit, 0);
      return guarded(
        'beginExternalBackup',
        { type: 'BEGIN_EXTERNAL_BACKUP', grbit: g },
        () => api.beginExternalBackup(inst, g),
        () => ({ type: 'BEGIN_EXTERNAL_BACKUP.DONE', grbit: g }),
      );
    },
    getAttachInfo(inst) {
      own('getAttachInfo', inst);
      return guarded(
        'getAttachInfo',
        { type: 'GET_ATTACH_INFO' },
        () => api.getAttachInfo(inst),
        (files) => ({ type: 'GET_ATTACH_INFO.DONE', files }),
      );
    },
    openFile(inst, path) {
      own('openFile', inst);
      if (typeof path !== 'string') throw typeError('openFile', `path must be a string, got ${typeof path}`);
      return guarded(
        'openFile',
        { type: 'OPEN_FILE', name: path },
        () => api.openFile(inst, path),
        (r) => {
          slot.offset = 0;
          slot.size = Number(r.size);
          return { type: 'OPEN_FILE.DONE', name: path, size: String(r.size) };
        },
        path,
      );
    },
    readFile(inst, handle, buffer) {
      own('readFile', inst);
      if (typeof handle !== 'bigint') throw typeError('readFile', `handle must be a bigint, got ${typeof handle}`);
      if (!(buffer instanceof Uint8Array)) throw typeError('readFile', 'buffer must be a Uint8Array');
      return queue.run(async () => {
        const call = { type: 'READ_FILE', handle: String(handle), size: buffer.byteLength } as const;
        const v = verdict(actor.getSnapshot(), call);
        if (v.kind === 'refused') throw refusal('readFile', v.err, v.rule);
        let bytes: number;
        try {
          bytes = await api.readFile(inst, handle, buffer);
        } catch (e) {
          if (e instanceof JetError) actor.send({ type: 'JET_ERROR', call, err: e.err });
          throw e;
        }
        slot.offset += bytes;
        const file = actor.getSnapshot().context.session?.file;
        // The chart needs the first read (the minimum size no longer applies) and the one reaching EOF.
        if (file && (!file.read || (!file.eof && (bytes === 0 || slot.offset >= slot.size)))) {
          actor.send({ type: 'READ_FILE.DONE', bytes, offset: slot.offset });
        }
        return bytes;
      });
    },
    closeFile(inst, handle) {
      own('closeFile', inst);
      if (typeof handle !== 'bigint') throw typeError('closeFile', `handle must be a bigint, got ${typeof handle}`);
      return guarded(
        'closeFile',
        { type: 'CLOSE_FILE', handle: String(handle) },
        () => api.closeFile(inst, handle),
        () => ({ type: 'CLOSE_FILE.DONE' }),
      );
    },
    getLogInfo(inst) {
      own('getLogInfo', inst);
      return guarded(
        'getLogInfo',
        { type: 'GET_LOG_INFO' },
        () => api.getLogInfo(inst),
        (files) => ({ type: 'GET_LOG_INFO.DONE', files }),
      );
    },
    getLogInfo2(inst) {
      own('getLogInfo2', inst);
      return guarded(
        'getLogInfo2',
        { type: 'GET_LOG_INFO' },
        () => api.getLogInfo2(inst),
        (info) => ({ type: 'GET_LOG_INFO.DONE', files: info.files }),
      );
    },
    getTruncateLogInfo(inst) {
      own('getTruncateLogInfo', inst);
      return guarded(
        'getTruncateLogInfo',
        { type: 'GET_TRUNCATE_LOG_INFO' },
        () => api.getTruncateLogInfo(inst),
        (files) => ({ type: 'GET_TRUNCATE_LOG_INFO.DONE', files }),
      );
    },
    truncateLog(inst) {
      own('truncateLog', inst);
      return guarded(
        'truncateLog',
        { type: 'TRUNCATE_LOG' },
        () => api.truncateLog(inst),
        () => ({ type: 'TRUNCATE_LOG.DONE' }),
      );
    },
    endExternalBackup(inst, grbit) {
      own('endExternalBackup', inst);
      const g = grbitOf('endExternalBackup', grbit, JET_bit.BackupEndNormal);
      return guarded(
        'endExternalBackup',
        { type: 'END_EXTERNAL_BACKUP', grbit: g },
        () => api.endExternalBackup(inst, g),
        () => ({ type: 'END_EXTERNAL_BACKUP.DONE', grbit: g }),
      );
    },
    stopService(inst, grbit) {
      own('stopService', inst);
      const g = grbitOf('stopService', grbit, JET_bit.StopServiceAll);
      return guarded(
        'stopService',
        { type: 'STOP_SERVICE', grbit: g },
        () => api.stopService(inst, g),
        () => ({ type: 'STOP_SERVICE.DONE', grbit: g }),
      );
    },
    term(inst, grbit) {
      own('term', inst);
      const g = grbitOf('term', grbit, JET_bit.TermAbrupt);
      return guarded(
        'term',
        { type: 'TERM', grbit: g },
        () => api.term(inst, g),
        () => ({ type: 'TERM.DONE', grbit: g }),
      );
    },
    stopBackup(inst) {
      own('stopBackup', inst);
      const v = verdict(actor.getSnapshot(), { type: 'STOP_BACKUP' });
      if (v.kind === 'refused') throw refusal('stopBackup', v.err, v.rule);
      stop();
    },
  };
}
