import { assign, setup } from 'xstate';
import type { InstanceBackupContext, InstanceBackupEvent, InstanceBackupInput, JetCallName } from './instance-backup-types.js';
import { instanceNil, jetValues } from './jet-values.js';
import { endOutcome, initialContext, isValidEndGrbit, manualStop, newSession, withFile } from './session-record.js';

const { err, bit } = jetValues;

/** Calls the chart tracks while in flight (reads are the hot path and are not tracked; Stop never waits). */
const trackedCalls = [
  'BEGIN_EXTERNAL_BACKUP', 'GET_ATTACH_INFO', 'OPEN_FILE', 'CLOSE_FILE', 'GET_LOG_INFO',
  'GET_TRUNCATE_LOG_INFO', 'TRUNCATE_LOG', 'END_EXTERNAL_BACKUP', 'STOP_SERVICE', 'TERM',
] as const satisfies readonly JetCallName[];

/** Codes every call but Stop may answer from the instance check, before any backup rule. */
const instanceLevel = new Set<number>([err.InvalidParameter, err.InvalidInstance, err.ClientRequestToStopJetService, err.NotInitialized, err.TermInProgress]);
/** Calls whose -1003 can only mean "not a live instance" (their arguments cannot cause it). */
const noArgumentCheck = new Set<JetCallName>(['BEGIN_EXTERNAL_BACKUP', 'GET_ATTACH_INFO', 'GET_LOG_INFO', 'GET_TRUNCATE_LOG_INFO', 'TRUNCATE_LOG', 'STOP_SERVICE', 'TERM', 'STOP_BACKUP']);

type Ev = InstanceBackupEvent;
const isError = (e: Ev, call: JetCallName, ...errs: number[]) => e.type === 'JET_ERROR' && e.call.type === call && errs.includes(e.err);

const callRegion = {
  initial: 'idle',
  states: Object.fromEntries(['idle', 'busy'].map((name) => [name, {
    on: {
      ...Object.fromEntries(trackedCalls.map((call) => [call, { target: 'busy', actions: 'recordCall' }])),
      ...(name === 'busy' ? Object.fromEntries([...trackedCalls.map((c) => `${c}.DONE`), 'JET_ERROR'].map((e) => [e, { guard: 'answersCall', target: 'idle', actions: 'settleCall' }])) : {}),
    },
  }])),
} as const;

/**
 * The streaming-backup lifecycle of one ESE instance (reference §1-§3), as the engine sees it.
 *
 * Three parallel regions: `backup` (noSession | session{phase, file, stop} | killed | serviceStopped |
 * terminated), `call` (a forwarded call in flight) and `latch` (policy `'latch'`). Events are the ESE
 * calls, sent when a call is forwarded, and their answers (`<CALL>.DONE`, `JET_ERROR`). Entering
 * `session.stop.stopped` runs the `stopBackup` action (JetStopBackupInstance) once per session.
 * The chart does no I/O: `stopBackup` is a placeholder bound with `.provide()`. Which calls the engine
 * would refuse in a state is `verdict(snapshot, call)`.
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
      const incremental = event.type === 'BEGIN_EXTERNAL_BACKUP.DONE' && (event.grbit & bit.BackupIncremental) !== 0;
      const facts = { ...context.facts, recovery: true, backupNotAllowed: false };
      if (incremental) Object.assign(facts, { circularLogging: false, incrementalBase: true });
      return { session: newSession(incremental), outcome: null, facts };
    }),
    learnFromBegin: assign(({ context, event }) => {
      if (event.type !== 'JET_ERROR') return {};
      // The engine checks in order (-523, -516, -900, -526, -505, -560): a refusal passed every rule before it.
      const e = event.err;
      const incremental = 'grbit' in event.call && event.call.grbit === bit.BackupIncremental;
      const facts = { ...context.facts, backupNotAllowed: e === err.BackupNotAllowedYet };
      if (e === err.LoggingDisabled) facts.recovery = false;
      else if (e !== err.BackupNotAllowedYet) facts.recovery = true;
      if (e === err.InvalidBackup) facts.circularLogging = true;
      else if (incremental && (e === err.BackupInProgress || e === err.MissingFullBackup)) facts.circularLogging = false;
      if (e === err.MissingFullBackup) facts.incrementalBase = false;
      return { facts, stopPending: null };
    }),
    deferStop: assign({ stopPending: ({ context, event }) => context.stopPending ?? ((event.type === 'STOP_BACKUP' && event.reason) || manualStop) }),
    takePendingStop: assign(({ context }) => ({ session: { ...context.session!, stopReason: context.stopPending }, stopPending: null })),
    recordStop: assign({
      session: ({ context, event }) => ({ ...context.session!, stopReason: context.session!.stopReason ?? (event.type === 'STOP_BACKUP' && event.reason || manualStop) }),
    }),
    countStop: assign({ stops: ({ context }) => context.stops + 1 }),
    recordAttachInfo: assign({ session: ({ context, event }) => ({ ...context.session!, databases: event.type === 'GET_ATTACH_INFO.DONE' ? event.files : null }) }),
    recordLogInfo: assign({ session: ({ context, event }) => ({ ...context.session!, rangesFixed: true, logs: event.type === 'GET_LOG_INFO.DONE' ? event.files : null }) }),
    recordTruncateLogInfo: assign({ session: ({ context, event }) => ({ ...context.session!, rangesFixed: true, truncateLogs: event.type === 'GET_TRUNCATE_LOG_INFO.DONE' ? event.files : null }) }),
    recordTruncate: assign(({ context }) => ({ session: { ...context.session!, truncated: true }, facts: { ...context.facts, incrementalBase: true } })),
    recordOpen: assign({
      session: ({ context, event }) => {
        const s = context.session!;
        if (event.type !== 'OPEN_FILE.DONE') return s;
        const kind = s.incremental || s.rangesFixed ? 'log' : 'database';
        return withFile(s, { name: event.name, kind, size: event.size, read: false, eof: false });
      },
    }),
    recordRead: assign({
      session: ({ context, event }) => {
        const s = context.session!;
        if (event.type !== 'READ_FILE.DONE' || s.file === null) return s;
        return withFile(s, { ...s.file, read: true, eof: s.file.eof || event.bytes === 0 || event.offset >= Number(s.file.size) });
      },
    }),
    recordClose: assign({
      session: ({ context }) => {
        const s = context.session!;
        const done = s.file?.eof && !s.copied.includes(s.file.name) ? [...s.copied, s.file.name] : s.copied;
        return { ...s, file: null, copied: done };
      },
    }),
    recordReadError: assign({
      session: ({ context, event }) => {
        const s = context.session!;
        // Bytes already delivered to EOF stay copied: the engine counts the log as read.
        const copied = s.file?.eof && !s.copied.includes(s.file.name) ? [...s.copied, s.file.name] : s.copied;
        return { ...s, file: null, copied, lastError: event.type === 'JET_ERROR' ? event.err : null };
      },
    }),
    recordRangesFixed: assign({ session: ({ context }) => ({ ...context.session!, rangesFixed: true }) }),
    recordEnd: assign(({ context, event }) => ({
      outcome: endOutcome(context.session!, 'grbit' in event ? event.grbit : event.type === 'JET_ERROR' && 'grbit' in event.call ? event.call.grbit : 0),
      session: { ...context.session!, open: false, file: null },
    })),
    recordKill: assign(({ context, event }) => ({
      outcome: { kind: 'failed', err: event.type === 'JET_ERROR' ? event.err : 0 } as const,
      session: { ...context.session!, open: false, file: null },
    })),
    recordTerm: assign(({ context, event }) => {
      if (!context.session?.open) return {};
      const outcome = event.type === 'JET_ERROR' ? { kind: 'failed', err: event.err } as const : { kind: 'stoppedByServer' } as const;
      return { outcome, session: { ...context.session, open: false, file: null } };
    }),
    recordBackupNotAllowed: assign({ facts: ({ context }) => ({ ...context.facts, backupNotAllowed: true }) }),
    recordLatch: assign({ latch: ({ event }) => (event.type === 'STOP_BACKUP' && event.reason) || null }),
    clearLatch: assign({ latch: null }),
    clearBackupNotAllowed: assign({ facts: ({ context }) => ({ ...context.facts, backupNotAllowed: false }) }),
  },
  guards: {
    notLiveHandle: ({ context }) => context.instance === '0' || context.instance === instanceNil,
    incrementalBegin: ({ event }) => event.type === 'BEGIN_EXTERNAL_BACKUP.DONE' && (event.grbit & bit.BackupIncremental) !== 0,
    beginRefused: ({ event }) => event.type === 'JET_ERROR' && event.call.type === 'BEGIN_EXTERNAL_BACKUP' && !instanceLevel.has(event.err),
    beginInFlight: ({ context }) => context.calling === 'BEGIN_EXTERNAL_BACKUP',
    stopPending: ({ context }) => context.stopPending !== null,
    sessionRunning: ({ context }) => context.session?.open === true && context.session.stopReason === null,
    latchesShutdown: ({ context, event }) => context.policy === 'latch' && event.type === 'STOP_BACKUP' && event.reason?.shutdown === true,
    answersCall: ({ context, event }) => (event.type === 'JET_ERROR' ? event.call.type : event.type.replace(/\.DONE$/, '')) === context.calling,
    endedAnyway: ({ event }) => isError(event, 'END_EXTERNAL_BACKUP', err.BackupAbortByServer),
    killsSession: ({ context, event }) =>
      isError(event, 'OPEN_FILE', err.MissingFileToBackup) || isError(event, 'READ_FILE', err.LogReadVerifyFailure)
      // -521 kills for a database in the log phase; an incremental's logs before GetLogInfo are merely early.
      || (isError(event, 'OPEN_FILE', err.InvalidBackupSequence) && context.session?.rangesFixed === true),
    rangesFixedThenStopped: ({ event }) => isError(event, 'GET_LOG_INFO', err.BackupAbortByServer) || isError(event, 'GET_TRUNCATE_LOG_INFO', err.BackupAbortByServer),
    closesFile: ({ event }) => isError(event, 'READ_FILE', err.ReadVerifyFailure, err.DiskIO),
    serviceStoppedError: ({ event }) => event.type === 'JET_ERROR' && event.err === err.ClientRequestToStopJetService,
    notLiveError: ({ event }) => event.type === 'JET_ERROR' && (event.err === err.InvalidInstance || (event.err === err.InvalidParameter && isNotLive(event.call))),
    termCompleteRefused: ({ event }) => isError(event, 'TERM', err.BackupInProgress),
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
          { guard: 'serviceStoppedError', target: '.serviceStopped' },
          { guard: 'notLiveError', target: '.terminated', actions: 'recordTerm' },
          { guard: 'termCompleteRefused', actions: 'recordBackupNotAllowed' },
        ],
      },
      states: {
        noSession: { always: { guard: 'notLiveHandle', target: 'terminated' }, on: noSessionHandlers() },
        killed: { on: noSessionHandlers() },
        session: {
          type: 'parallel',
          on: {
            'END_EXTERNAL_BACKUP.DONE': { target: 'noSession', actions: 'recordEnd' },
            'GET_ATTACH_INFO.DONE': { actions: 'recordAttachInfo' },
            'TRUNCATE_LOG.DONE': { actions: 'recordTruncate' },
            JET_ERROR: [
              { guard: 'endedAnyway', target: 'noSession', actions: 'recordEnd' },
              { guard: 'killsSession', target: 'killed', actions: 'recordKill' },
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
                    JET_ERROR: { guard: 'rangesFixedThenStopped', target: 'logs', actions: 'recordRangesFixed' },
                  },
                },
                logs: { on: logPhaseHandlers() },
                incremental: { on: logPhaseHandlers() },
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
                    JET_ERROR: { guard: 'closesFile', target: 'closed', actions: 'recordReadError' },
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
    call: callRegion,
    latch: {
      initial: 'off',
      states: {
        off: { on: { STOP_BACKUP: { guard: 'latchesShutdown', target: 'latched', actions: 'recordLatch' }, RESET: { actions: 'clearBackupNotAllowed' } } },
        latched: { on: { RESET: { target: 'off', actions: ['clearLatch', 'clearBackupNotAllowed'] } } },
      },
    },
  },
});

function logPhaseHandlers() {
  return {
    'GET_LOG_INFO.DONE': { actions: 'recordLogInfo' },
    'GET_TRUNCATE_LOG_INFO.DONE': { actions: 'recordTruncateLogInfo' },
    JET_ERROR: { guard: 'rangesFixedThenStopped', actions: 'recordRangesFixed' },
  } as const;
}

function noSessionHandlers() {
  return {
    'BEGIN_EXTERNAL_BACKUP.DONE': [
      { guard: 'incrementalBegin', target: 'session.phase.incremental', actions: 'recordBegin' },
      { target: 'session', actions: 'recordBegin' },
    ],
    JET_ERROR: { guard: 'beginRefused', actions: 'learnFromBegin' },
    STOP_BACKUP: { guard: 'beginInFlight', actions: 'deferStop' },
  } as const;
}

/** Whether a -1003 answer to `call` means the instance is not live (see `noArgumentCheck`). */
function isNotLive(call: { type: JetCallName; name?: string; grbit?: number }): boolean {
  if (noArgumentCheck.has(call.type)) return true;
  if (call.type === 'OPEN_FILE') return call.name !== '';
  return call.type === 'END_EXTERNAL_BACKUP' && isValidEndGrbit(call.grbit ?? 0);
}
