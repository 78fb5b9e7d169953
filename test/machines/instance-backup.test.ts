// Reference §1-§2: JetStopBackupInstance and every call after it, as the chart decides them.
import { describe, expect, it } from 'vitest';
import { DB, LOG1, begin, chart, copy, fullCopied, said } from './chart-driver.js';

const read = { type: 'READ_FILE', handle: '0', size: 65536 } as const;

describe('instanceBackup: after a stop (§2), the session still open', () => {
  const stoppedWithFileOpen = () => {
    const c = chart({ facts: { pageSize: 4096 } });
    begin(c);
    c.forward({ type: 'GET_ATTACH_INFO' }, { files: [DB] });
    c.forward({ type: 'OPEN_FILE', name: DB }, { name: DB, size: '32768' });
    c.forward(read, { bytes: 16384, offset: 16384 });
    c.stop();
    return c;
  };

  it.each([
    ['GetAttachInfo', { type: 'GET_ATTACH_INFO' }, 'refused -801'],
    ['Open', { type: 'OPEN_FILE', name: DB }, 'refused -801'],
    ['Open (empty name: stop is checked first)', { type: 'OPEN_FILE', name: '' }, 'refused -801'],
    ['Read', read, 'refused -801'],
    ['Read (bad handle: stop is checked first)', { ...read, handle: '7' }, 'refused -801'],
    ['Read (bad size: stop is checked first)', { ...read, size: 1 }, 'refused -801'],
    ['GetLogInfo', { type: 'GET_LOG_INFO' }, 'refused -801'],
    ['GetTruncateLogInfo', { type: 'GET_TRUNCATE_LOG_INFO' }, 'refused -801'],
    ['TruncateLog', { type: 'TRUNCATE_LOG' }, 'refused -801'],
    ['Close', { type: 'CLOSE_FILE', handle: '0' }, 'allowed'],
    ['End(Normal)', { type: 'END_EXTERNAL_BACKUP', grbit: 1 }, 'allowed'],
    ['End(Abort)', { type: 'END_EXTERNAL_BACKUP', grbit: 2 }, 'allowed'],
    ['Begin(full)', { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }, 'refused -505'],
    ['Begin(incremental)', { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 }, 'refused -505'],
    ['Stop again', { type: 'STOP_BACKUP' }, 'allowed'],
  ] as const)('%s: %s', (_name, call, expected) => {
    expect(said(stoppedWithFileOpen().verdict(call))).toBe(expected);
  });

  it('is the state session.stop.stopped; the open file stays open and a refused read moves nothing', () => {
    const c = stoppedWithFileOpen();
    expect(c.value()).toEqual({ backup: { session: { phase: 'databases', file: 'open', stop: 'stopped' } }, call: 'idle', latch: 'off' });
    expect(c.context().session?.file).toMatchObject({ name: DB, read: true, eof: false });
  });

  it('calls JetStopBackupInstance once per session, however many stops arrive', () => {
    const c = stoppedWithFileOpen();
    for (let i = 0; i < 100; i++) c.stop({ source: 'signal', detail: 'SIGINT', shutdown: true });
    expect(c.stops).toBe(1);
    expect(c.context().stops).toBe(1);
    expect(c.context().session?.stopReason).toEqual({ source: 'manual', shutdown: false }); // the first reason is kept
  });

  it('Close after the stop closes normally; End then ends the session as stoppedByServer', () => {
    const c = stoppedWithFileOpen();
    c.forward({ type: 'CLOSE_FILE', handle: '0' }, {});
    expect(c.value()).toMatchObject({ backup: { session: { file: 'closed', stop: 'stopped' } } });
    c.forward({ type: 'END_EXTERNAL_BACKUP', grbit: 1 }, { grbit: 1 });
    expect(c.value()).toMatchObject({ backup: { noSession: 'idle' } });
    expect(c.context().outcome).toEqual({ kind: 'stoppedByServer' });
  });

  it('End answered -801 (the docs allow it) also ends the session', () => {
    const c = stoppedWithFileOpen();
    c.forward({ type: 'END_EXTERNAL_BACKUP', grbit: 1 }, { err: -801 });
    expect(c.value()).toMatchObject({ backup: { noSession: 'idle' } });
    expect(c.context().outcome).toEqual({ kind: 'stoppedByServer' });
  });

  it('an in-flight read completes normally after the stop (§1): its EOF still counts', () => {
    const c = chart();
    begin(c);
    c.forward({ type: 'OPEN_FILE', name: DB }, { name: DB, size: '32768' });
    c.stop();
    c.forward(read, { bytes: 32768, offset: 32768 });
    expect(c.context().session?.file?.eof).toBe(true);
  });
});

describe('instanceBackup: the stop is not sticky (§2)', () => {
  it('End clears it: the next Begin is allowed, and the next session runs and stops on its own', () => {
    const c = chart();
    begin(c);
    c.stop();
    c.forward({ type: 'END_EXTERNAL_BACKUP', grbit: 2 }, { grbit: 2 });
    expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe('allowed');
    begin(c);
    expect(c.value()).toMatchObject({ backup: { session: { stop: 'running' } } });
    expect(said(c.verdict({ type: 'GET_ATTACH_INFO' }))).toBe('allowed');
    c.stop();
    expect(c.stops).toBe(2);
  });

  it('a stop with no session has no lasting effect: -520 (not -801), no backend call, Begin allowed', () => {
    const c = chart();
    c.stop();
    expect(c.stops).toBe(0);
    expect(said(c.verdict({ type: 'GET_ATTACH_INFO' }))).toBe('refused -520');
    expect(said(c.verdict(read))).toBe('refused -520');
    expect(said(c.verdict({ type: 'END_EXTERNAL_BACKUP', grbit: 1 }))).toBe('refused -520');
    begin(c);
    expect(c.value()).toMatchObject({ backup: { session: { stop: 'running' } } });
  });

  it('a stop while Begin is in flight stops the session Begin opens, with one backend call', () => {
    const c = chart();
    c.actor.send({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 });
    c.stop({ source: 'deadline', shutdown: false });
    c.stop();
    expect(c.stops).toBe(0);
    c.actor.send({ type: 'BEGIN_EXTERNAL_BACKUP.DONE', grbit: 0 });
    expect(c.value()).toMatchObject({ backup: { session: { stop: 'stopped' } }, call: 'idle' });
    expect(c.stops).toBe(1);
    expect(c.context().session?.stopReason?.source).toBe('deadline');
  });

  it('a stop while Begin is in flight is dropped when Begin fails', () => {
    const c = chart();
    c.actor.send({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 });
    c.stop();
    c.actor.send({ type: 'JET_ERROR', call: { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 }, err: -560 });
    expect(c.context().stopPending).toBeNull();
    begin(c);
    expect(c.value()).toMatchObject({ backup: { session: { stop: 'running' } } });
  });

  it('a stop during End: End answers 0, the outcome is stoppedByServer', () => {
    const c = chart();
    fullCopied(c);
    c.actor.send({ type: 'END_EXTERNAL_BACKUP', grbit: 1 });
    c.stop();
    c.actor.send({ type: 'END_EXTERNAL_BACKUP.DONE', grbit: 1 });
    expect(c.context().outcome).toEqual({ kind: 'stoppedByServer' });
    expect(c.stops).toBe(1);
  });

  it('a stop that lands while GetLogInfo rolls the log: -801, but the ranges are fixed', () => {
    const c = chart();
    begin(c);
    c.actor.send({ type: 'GET_LOG_INFO' });
    c.stop();
    c.actor.send({ type: 'JET_ERROR', call: { type: 'GET_LOG_INFO' }, err: -801 });
    expect(c.value()).toMatchObject({ backup: { session: { phase: { logs: 'full' }, stop: 'stopped' } }, call: 'idle' });
  });
});

describe('instanceBackup: killed by the engine, service stopped, terminated (§3)', () => {
  it.each([
    ['Open a database in the log phase', { type: 'OPEN_FILE', name: DB }, -521],
    ['Open a missing log', { type: 'OPEN_FILE', name: LOG1 }, -569],
    ['a log checksum failure', read, -612],
  ] as const)('%s (%i) kills the session: every call answers -520 until a new Begin', (_name, call, err) => {
    const c = chart();
    begin(c);
    c.forward({ type: 'GET_ATTACH_INFO' }, { files: [DB] });
    c.forward({ type: 'GET_LOG_INFO' }, { files: [LOG1] });
    if (call.type === 'READ_FILE') c.forward({ type: 'OPEN_FILE', name: LOG1 }, { name: LOG1, size: '8192' });
    c.forward(call, { err });
    expect(c.value()).toMatchObject({ backup: { noSession: 'killed' } });
    expect(c.context().outcome).toEqual({ kind: 'failed', err });
    for (const next of [
      { type: 'GET_LOG_INFO' },
      { type: 'CLOSE_FILE', handle: '0' },
      read,
      { type: 'END_EXTERNAL_BACKUP', grbit: 1 },
    ] as const) {
      expect(said(c.verdict(next))).toBe('refused -520');
    }
    c.stop();
    expect(c.stops).toBe(0);
    expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe('allowed');
    begin(c);
    expect(c.value()).toMatchObject({ backup: { session: { phase: 'databases' } } });
  });

  it('a database checksum failure (-1018) closes that file; the session continues', () => {
    const c = chart();
    begin(c);
    c.forward({ type: 'OPEN_FILE', name: DB }, { name: DB, size: '32768' });
    c.forward(read, { err: -1018 });
    expect(c.value()).toMatchObject({ backup: { session: { file: 'closed', stop: 'running' } } });
    expect(said(c.verdict({ type: 'CLOSE_FILE', handle: '0' }))).toBe('refused -1003');
    expect(said(c.verdict({ type: 'OPEN_FILE', name: DB }))).toBe('depends -1203');
  });

  it('StopService(All): -1329 for everything but Stop and Term; Term then ends the session as stoppedByServer', () => {
    const c = chart();
    begin(c);
    c.forward({ type: 'STOP_SERVICE', grbit: 0 }, { grbit: 0 });
    expect(c.value()).toMatchObject({ backup: 'serviceStopped' });
    for (const call of [
      { type: 'GET_ATTACH_INFO' },
      { type: 'END_EXTERNAL_BACKUP', grbit: 1 },
      { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 },
      { type: 'STOP_SERVICE', grbit: 0 },
      read,
    ] as const) {
      expect(said(c.verdict(call))).toBe('refused -1329');
    }
    expect(said(c.verdict({ type: 'STOP_BACKUP' }))).toBe('allowed');
    c.stop();
    expect(c.stops).toBe(1);
    expect(said(c.verdict({ type: 'TERM', grbit: 2 }))).toBe('allowed');
    c.forward({ type: 'TERM', grbit: 2 }, { grbit: 2 });
    expect(c.value()).toMatchObject({ backup: 'terminated' });
    expect(c.context().outcome).toEqual({ kind: 'stoppedByServer' });
  });

  it('StopService with only partial bits changes nothing for backups', () => {
    const c = chart();
    begin(c);
    c.forward({ type: 'STOP_SERVICE', grbit: 0x4 }, { grbit: 0x4 });
    expect(c.value()).toMatchObject({ backup: { session: { stop: 'running' } } });
  });

  it.each(['0', '18446744073709551615'])(
    'instance %s (NULL, JET_instanceNil) is not live: -1003 for every call, Stop included',
    (instance) => {
      const c = chart({ instance });
      expect(c.value()).toMatchObject({ backup: 'terminated' });
      expect(said(c.verdict({ type: 'STOP_BACKUP' }))).toBe('refused -1003');
      expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe('refused -1003');
      c.stop();
      expect(c.stops).toBe(0);
    },
  );

  it('Stop answered -1003 by the backend (terminated elsewhere): the chart learns the instance is gone', () => {
    const c = chart();
    begin(c);
    c.stop();
    c.actor.send({ type: 'JET_ERROR', call: { type: 'STOP_BACKUP' }, err: -1003 });
    expect(c.value()).toMatchObject({ backup: 'terminated' });
    expect(c.context().outcome).toEqual({ kind: 'failed', err: -1003 });
  });

  it('Term(Abrupt) during a session ends it (stoppedByServer); later calls answer -1003', () => {
    const c = chart();
    begin(c);
    c.forward({ type: 'TERM', grbit: 2 }, { grbit: 2 });
    expect(c.context().outcome).toEqual({ kind: 'stoppedByServer' });
    expect(said(c.verdict({ type: 'END_EXTERNAL_BACKUP', grbit: 1 }))).toBe('refused -1003');
  });

  it('Term2(Complete) during a backup is -505; after the session, Begin answers -523 until RESET', () => {
    const c = chart();
    begin(c);
    expect(said(c.verdict({ type: 'TERM', grbit: 1 }))).toBe('refused -505');
    expect(said(c.verdict({ type: 'TERM', grbit: 0 }))).toBe('refused -505'); // no Abrupt/Dirty/StopBackup bit: complete
    c.forward({ type: 'TERM', grbit: 1 }, { err: -505 });
    expect(c.value()).toMatchObject({ backup: { session: { stop: 'running' } } });
    c.forward({ type: 'END_EXTERNAL_BACKUP', grbit: 2 }, { grbit: 2 });
    expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe('refused -523');
    c.actor.send({ type: 'RESET' });
    expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe('allowed');
  });
});

describe('instanceBackup: policy latch', () => {
  it('a shutdown stop refuses Begin (-523) until RESET; the engine policy does not', () => {
    for (const policy of ['engine', 'latch'] as const) {
      const c = chart({ policy });
      begin(c);
      c.stop({ source: 'signal', detail: 'SIGTERM', shutdown: true });
      c.forward({ type: 'END_EXTERNAL_BACKUP', grbit: 2 }, { grbit: 2 });
      expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe(policy === 'latch' ? 'refused -523' : 'allowed');
      c.actor.send({ type: 'RESET' });
      expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe('allowed');
    }
  });

  it('a stop that is not a shutdown does not latch; a shutdown latches even with no session', () => {
    const c = chart({ policy: 'latch' });
    c.stop({ source: 'deadline', shutdown: false });
    expect(c.value()).toMatchObject({ latch: 'off' });
    c.stop({ source: 'signal', detail: 'SIGINT', shutdown: true });
    expect(c.value()).toMatchObject({ latch: 'latched' });
    expect(c.context().latch).toEqual({ source: 'signal', detail: 'SIGINT', shutdown: true });
  });
});

describe('instanceBackup: context', () => {
  it('stays JSON-safe through a whole session (no BigInt, no functions)', () => {
    const c = chart();
    fullCopied(c);
    c.forward({ type: 'END_EXTERNAL_BACKUP', grbit: 1 }, { grbit: 1 });
    const ctx = c.context();
    expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx);
    expect(ctx.outcome).toEqual({ kind: 'completed' });
  });

  it('tracks the call in flight (reads excepted)', () => {
    const c = chart();
    c.actor.send({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 });
    expect(c.context().calling).toBe('BEGIN_EXTERNAL_BACKUP');
    expect(c.value()).toMatchObject({ call: 'busy' });
    c.actor.send({ type: 'BEGIN_EXTERNAL_BACKUP.DONE', grbit: 0 });
    expect(c.context().calling).toBeNull();
    copy(c, DB);
    expect(c.value()).toMatchObject({ call: 'idle' });
  });
});
