import { assertEvent, assign, setup } from 'xstate';
import { learnFromBeginAnswer } from './begin-rules.js';
import type { InstanceBackupContext, InstanceBackupEvent, InstanceBackupInput, JetCallName } from './instance-backup-types.js';
import { instanceCheckErrs, instanceNil, jetValues } from './jet-values.js';
import { endOutcome, initialContext, isValidEndGrbit, manualStop, newSession, withFile } from './session-record.js';

const { err, bit } = jetValues;

/** Calls whose -1003 can only mean "not a live instance" (their arguments cannot cause it). */
const noArgumentCheck = new Set<JetCallName>([
  'BEGIN_EXTERNAL_BACKUP',
  'GET_ATTACH_INFO',
  'GET_LOG_INFO',
  'GET_TRUNCATE_LOG_INFO',
  'TRUNCATE_LOG',
  'STOP_SERVICE',
  'TERM',
  'STOP_BACKUP',
]);

/** Which answer a guard `answered` matches: a JET_ERROR to `call` (any call when omitted) with one of `errs`. */
interface Answered {
  call?: JetCallName;
  errs: readonly number[];
}

/**
 * The streaming-backup lifecycle of one ESE instance (reference §1-§3), as the engine sees it.
 *
 * Three parallel regions: `backup` (noSession{idle | killed} | session{phase, file, stop} |
 * serviceStopped | terminated; the session's phase is databases | logs{full | incremental}), `call` (a forwarded call in flight) and `latch` (policy `'latch'`). Events are the ESE
 * calls, sent when a call is forwarded, and their answers (`<CALL>.DONE`, `JET_ERROR`). The codes that
 * move the chart are written in it (`answered` guards). Entering `session.stop.stopped` runs the
 * `stopBackup` action (JetStopBackupInstance) once per session. The chart does no I/O: `stopBackup` is
 * a placeholder bound with `.provide()`. Which calls the engine would refuse in a state is
 * `verdict(snapshot, call)`.
 *
 * This is the client's transcription of ESE's rules; the embedded engine keeps its own, on purpose
 * (one cannot copy the other's mistake), and the model-based tests (test/coordinator/model-based-*.test.ts)
 * hold the two equal.
 *
 * @example
 * const actor = createActor(instanceBackup.provide({ actions: { stopBackup: () => api.stopBackup(inst) } }),
 *   { input: { instance: String(inst) } }).start();
 */
export const instanceBackup = setup({
  types: {} as { context: InstanceBackupContext; events: InstanceBackupEvent; input: InstanceBackupInput },
  actions: {
    /** JetStopBackupInstance on the backend: bound by the coordinator. */
    stopBackup: () => {},

    recordCall: assign({ calling: ({ event }) => event.type as JetCallName }),
    settleCall: assign({ calling: null }),

    recordBegin: assign(({ context, event }) => {
      assertEvent(event, 'BEGIN_EXTERNAL_BACKUP.DONE');
      const incremental = (event.grbit & bit.BackupIncremental) !== 0;
      // A success passed every rule of Begin: the chart learns the instance's facts from it.
      const facts = learnFromBeginAnswer(context.facts, event.grbit, 0);
      return { session: newSession(incremental), outcome: null, facts };
    }),
    learnFromBegin: assign(({ context, event }) => {
      assertEvent(event, 'JET_ERROR');
      // The engine checks in order (-523, -516, -900, -526, -505, -560): a refusal passed every rule before it.
      const grbit = 'grbit' in event.call ? event.call.grbit : 0;
      return { facts: learnFromBeginAnswer(context.facts, grbit, event.err), stopPending: null };
    }),

    deferStop: assign({
      stopPending: ({ context, event }) => {
        assertEvent(event, 'STOP_BACKUP');
        return context.stopPending ?? event.reason ?? manualStop;
      },
    }),
    takePendingStop: assign(({ context }) => ({
      session: { ...context.session!, stopReason: context.stopPending },
      stopPending: null,
    })),
    recordStop: assign({
      session: ({ context, event }) => {
        assertEvent(event, 'STOP_BACKUP');
        const session = context.session!;
        return { ...session, stopReason: session.stopReason ?? event.reason ?? manualStop };
      },
    }),
    countStop: assign({ stops: ({ context }) => context.stops + 1 }),

    recordAttachInfo: assign({
      session: ({ context, event }) => {
        assertEvent(event, 'GET_ATTACH_INFO.DONE');
        return { ...context.session!, databases: event.files };
      },
    }),
    recordLogInfo: assign({
      session: ({ context, event }) => {
        assertEvent(event, 'GET_LOG_INFO.DONE');
        return { ...context.session!, rangesFixed: true, logs: event.files };
      },
    }),
    recordTruncateLogInfo: assign({
      session: ({ context, event }) => {
        assertEvent(event, 'GET_TRUNCATE_LOG_INFO.DONE');
        return { ...context.session!, rangesFixed: true, truncateLogs: event.files };
      },
    }),
    recordRangesFixed: assign({ session: ({ context }) => ({ ...context.session!, rangesFixed: true }) }),
    recordTruncate: assign(({ context }) => ({
      session: { ...context.session!, truncated: true },
      // A truncating full backup is the base an incremental needs.
      facts: { ...context.facts, incrementalBase: true },
    })),

    recordOpen: assign({
      session: ({ context, event }) => {
        assertEvent(event, 'OPEN_FILE.DONE');
        const session = context.session!;
        const kind = session.incremental || session.rangesFixed ? 'log' : 'database';
        return withFile(session, { name: event.name, kind, size: event.size, read: false, eof: false });
      },
    }),
    recordRead: assign({
      session: ({ context, event }) => {
        assertEvent(event, 'READ_FILE.DONE');
        const session = context.session!;
        if (session.file === null) return session;
        const eof = session.file.eof || event.bytes === 0 || event.offset >= Number(session.file.size);
        return withFile(session, { ...session.file, read: true, eof });
      },
    }),
    recordClose: assign({
      session: ({ context }) => {
        const session = context.session!;
        return { ...session, file: null, copied: copiedWithOpenFile(session) };
      },
    }),
    recordReadError: assign({
      session: ({ context, event }) => {
        assertEvent(event, 'JET_ERROR');
        const session = context.session!;
        // Bytes already delivered to EOF stay copied: the engine counts the log as read.
        return { ...session, file: null, copied: copiedWithOpenFile(session), lastError: event.err };
      },
    }),

    recordEnd: assign(({ context, event }) => {
      assertEvent(event, ['END_EXTERNAL_BACKUP.DONE', 'JET_ERROR']);
      const grbit = event.type === 'JET_ERROR' ? ('grbit' in event.call ? event.call.grbit : 0) : event.grbit;
      return {
        outcome: endOutcome(context.session!, grbit),
        session: { ...context.session!, open: false, file: null },
      };
    }),
    recordKill: assign(({ context, event }) => {
      assertEvent(event, 'JET_ERROR');
      return {
        outcome: { kind: 'failed', err: event.err } as const,
        session: { ...context.session!, open: false, file: null },
      };
    }),
    recordTerm: assign(({ context, event }) => {
      if (!context.session?.open) return {};
      const outcome = event.type === 'JET_ERROR' ? ({ kind: 'failed', err: event.err } as const) : ({ kind: 'stoppedByServer' } as const);
      return { outcome, session: { ...context.session, open: false, file: null } };
    }),
    recordBackupNotAllowed: assign({ facts: ({ context }) => ({ ...context.facts, backupNotAllowed: true }) }),
    clearBackupNotAllowed: assign({ facts: ({ context }) => ({ ...context.facts, backupNotAllowed: false }) }),

    recordLatch: assign({
      latch: ({ event }) => {
        assertEvent(event, 'STOP_BACKUP');
        return event.reason ?? null;
      },
    }),
    clearLatch: assign({ latch: null }),
  },
  guards: {
    /** A JET_ERROR answering `call` (any call when omitted) with one of `errs`. */
    answered: ({ event }, { call, errs }: Answered) =>
      event.type === 'JET_ERROR' && (call === undefined || event.call.type === call) && errs.includes(event.err),
    /** Begin refused by one of its own rules (not by the instance check). */
    beginRefused: ({ event }) =>
      event.type === 'JET_ERROR' && event.call.type === 'BEGIN_EXTERNAL_BACKUP' && !instanceCheckErrs.includes(event.err),
    /** -1003 to a call whose arguments cannot cause it: the instance is not live. */
    notLiveAnswer: ({ event }) => event.type === 'JET_ERROR' && event.err === err.InvalidParameter && isNotLive(event.call),
    notLiveHandle: ({ context }) => context.instance === '0' || context.instance === instanceNil,
    incrementalBegin: ({ event }) => event.type === 'BEGIN_EXTERNAL_BACKUP.DONE' && (event.grbit & bit.BackupIncremental) !== 0,
    beginInFlight: ({ context }) => context.calling === 'BEGIN_EXTERNAL_BACKUP',
    stopPending: ({ context }) => context.stopPending !== null,
    sessionRunning: ({ context }) => context.session?.open === true && context.session.stopReason === null,
    latchesShutdown: ({ context, event }) => context.policy === 'latch' && event.type === 'STOP_BACKUP' && event.reason?.shutdown === true,
    answersCall: ({ context, event }) =>
      (event.type === 'JET_ERROR' ? event.call.type : event.type.replace(/\.DONE$/, '')) === context.calling,
    stopServiceAll: ({ event }) => event.type === 'STOP_SERVICE.DONE' && event.grbit === bit.StopServiceAll,
  },
}).createMachine({
  id: 'instanceBackup',
  type: 'parallel',
  context: ({ input }) => initialContext(input),
  states: {
    backup: {
      initial: 'noSession',
      on: {
        'STOP_SERVICE.DONE': { guard: 'stopServiceAll', target: '.serviceStopped' },
        'TERM.DONE': { target: '.terminated', actions: 'recordTerm' },
        JET_ERROR: [
          { guard: { type: 'answered', params: { errs: [err.ClientRequestToStopJetService] } }, target: '.serviceStopped' },
          { guard: { type: 'answered', params: { errs: [err.InvalidInstance] } }, target: '.terminated', actions: 'recordTerm' },
          { guard: 'notLiveAnswer', target: '.terminated', actions: 'recordTerm' },
          { guard: { type: 'answered', params: { call: 'TERM', errs: [err.BackupInProgress] } }, actions: 'recordBackupNotAllowed' },
        ],
      },
      states: {
        // No session: never begun, ended by End, or killed by the engine. Begin starts one from any of them.
        noSession: {
          initial: 'idle',
          always: { guard: 'notLiveHandle', target: 'terminated' },
          on: {
            'BEGIN_EXTERNAL_BACKUP.DONE': [
              { guard: 'incrementalBegin', target: 'session.phase.logs.incremental', actions: 'recordBegin' },
              { target: 'session', actions: 'recordBegin' },
            ],
            JET_ERROR: { guard: 'beginRefused', actions: 'learnFromBegin' },
            STOP_BACKUP: { guard: 'beginInFlight', actions: 'deferStop' },
          },
          states: {
            idle: {},
            killed: {},
          },
        },
        session: {
          type: 'parallel',
          on: {
            'END_EXTERNAL_BACKUP.DONE': { target: 'noSession', actions: 'recordEnd' },
            'GET_ATTACH_INFO.DONE': { actions: 'recordAttachInfo' },
            'TRUNCATE_LOG.DONE': { actions: 'recordTruncate' },
            JET_ERROR: [
              // A stop came first: End still ends the session (reference §2).
              {
                guard: { type: 'answered', params: { call: 'END_EXTERNAL_BACKUP', errs: [err.BackupAbortByServer] } },
                target: 'noSession',
                actions: 'recordEnd',
              },
              // The engine ends the session: a database in the log phase, a missing log, a damaged log.
              {
                guard: { type: 'answered', params: { call: 'OPEN_FILE', errs: [err.InvalidBackupSequence, err.MissingFileToBackup] } },
                target: 'noSession.killed',
                actions: 'recordKill',
              },
              {
                guard: { type: 'answered', params: { call: 'READ_FILE', errs: [err.LogReadVerifyFailure] } },
                target: 'noSession.killed',
                actions: 'recordKill',
              },
            ],
          },
          states: {
            phase: {
              initial: 'databases',
              states: {
                databases: {
                  on: {
                    'GET_LOG_INFO.DONE': { target: 'logs', actions: 'recordLogInfo' },
                    'GET_TRUNCATE_LOG_INFO.DONE': { target: 'logs', actions: 'recordTruncateLogInfo' },
                    // A backend that re-checks the stop after the roll answers -801 with the ranges fixed (§1 says it completes).
                    JET_ERROR: [
                      {
                        guard: { type: 'answered', params: { call: 'GET_LOG_INFO', errs: [err.BackupAbortByServer] } },
                        target: 'logs',
                        actions: 'recordRangesFixed',
                      },
                      {
                        guard: { type: 'answered', params: { call: 'GET_TRUNCATE_LOG_INFO', errs: [err.BackupAbortByServer] } },
                        target: 'logs',
                        actions: 'recordRangesFixed',
                      },
                    ],
                  },
                },
                // The log phase: a full backup's from GetLogInfo on, an incremental's from Begin (ESE
                // backup.cxx: backupStateLogsAndPatchs), where logs open before GetLogInfo too.
                logs: {
                  initial: 'full',
                  on: {
                    'GET_LOG_INFO.DONE': { actions: 'recordLogInfo' },
                    'GET_TRUNCATE_LOG_INFO.DONE': { actions: 'recordTruncateLogInfo' },
                    JET_ERROR: [
                      {
                        guard: { type: 'answered', params: { call: 'GET_LOG_INFO', errs: [err.BackupAbortByServer] } },
                        actions: 'recordRangesFixed',
                      },
                      {
                        guard: { type: 'answered', params: { call: 'GET_TRUNCATE_LOG_INFO', errs: [err.BackupAbortByServer] } },
                        actions: 'recordRangesFixed',
                      },
                    ],
                  },
                  states: {
                    full: {},
                    incremental: {},
                  },
                },
              },
            },
            file: {
              initial: 'closed',
              states: {
                closed: { on: { 'OPEN_FILE.DONE': { target: 'open', actions: 'recordOpen' } } },
                open: {
                  on: {
                    'READ_FILE.DONE': { actions: 'recordRead' },
                    'CLOSE_FILE.DONE': { target: 'closed', actions: 'recordClose' },
                    // A damaged page or an I/O error closes the file; the session continues.
                    JET_ERROR: {
                      guard: { type: 'answered', params: { call: 'READ_FILE', errs: [err.ReadVerifyFailure, err.DiskIO] } },
                      target: 'closed',
                      actions: 'recordReadError',
                    },
                  },
                },
              },
            },
            stop: {
              initial: 'running',
              states: {
                running: {
                  always: { guard: 'stopPending', target: 'stopped', actions: 'takePendingStop' },
                  on: { STOP_BACKUP: { target: 'stopped', actions: 'recordStop' } },
                },
                stopped: { entry: ['countStop', 'stopBackup'] },
              },
            },
          },
        },
        serviceStopped: { on: { STOP_BACKUP: { guard: 'sessionRunning', actions: ['recordStop', 'countStop', 'stopBackup'] } } },
        terminated: {},
      },
    },
    // The call forwarded to the engine and not answered yet (reads are the hot path and are not
    // tracked; Stop never waits). The coordinator forwards one call at a time per instance.
    call: {
      initial: 'idle',
      states: {
        idle: {
          on: {
            BEGIN_EXTERNAL_BACKUP: { target: 'busy', actions: 'recordCall' },
            GET_ATTACH_INFO: { target: 'busy', actions: 'recordCall' },
            OPEN_FILE: { target: 'busy', actions: 'recordCall' },
            CLOSE_FILE: { target: 'busy', actions: 'recordCall' },
            GET_LOG_INFO: { target: 'busy', actions: 'recordCall' },
            GET_TRUNCATE_LOG_INFO: { target: 'busy', actions: 'recordCall' },
            TRUNCATE_LOG: { target: 'busy', actions: 'recordCall' },
            END_EXTERNAL_BACKUP: { target: 'busy', actions: 'recordCall' },
            STOP_SERVICE: { target: 'busy', actions: 'recordCall' },
            TERM: { target: 'busy', actions: 'recordCall' },
          },
        },
        busy: {
          on: {
            'BEGIN_EXTERNAL_BACKUP.DONE': { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
            'GET_ATTACH_INFO.DONE': { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
            'OPEN_FILE.DONE': { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
            'CLOSE_FILE.DONE': { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
            'GET_LOG_INFO.DONE': { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
            'GET_TRUNCATE_LOG_INFO.DONE': { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
            'TRUNCATE_LOG.DONE': { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
            'END_EXTERNAL_BACKUP.DONE': { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
            'STOP_SERVICE.DONE': { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
            'TERM.DONE': { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
            JET_ERROR: { guard: 'answersCall', target: 'idle', actions: 'settleCall' },
          },
        },
      },
    },
    latch: {
      initial: 'off',
      states: {
        off: {
          on: {
            STOP_BACKUP: { guard: 'latchesShutdown', target: 'latched', actions: 'recordLatch' },
            RESET: { actions: 'clearBackupNotAllowed' },
          },
        },
        latched: { on: { RESET: { target: 'off', actions: ['clearLatch', 'clearBackupNotAllowed'] } } },
      },
    },
  },
});

/** The session's copied files, with the open file added when it was read to EOF. */
function copiedWithOpenFile(session: NonNullable<InstanceBackupContext['session']>): string[] {
  const file = session.file;
  return file?.eof && !session.copied.includes(file.name) ? [...session.copied, file.name] : session.copied;
}

/** Whether a -1003 answer to `call` means the instance is not live (see `noArgumentCheck`). */
function isNotLive(call: { type: JetCallName; name?: string; grbit?: number }): boolean {
  if (noArgumentCheck.has(call.type)) return true;
  if (call.type === 'OPEN_FILE') return call.name !== '';
  return call.type === 'END_EXTERNAL_BACKUP' && isValidEndGrbit(call.grbit ?? 0);
}
