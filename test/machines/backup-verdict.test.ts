// Reference §3, call by call: the verdict of every rule, in the order the engine checks them.
import { describe, expect, it } from 'vitest';
import type { EngineFacts } from '../../machines/index.js';
import { DB, LOG1, LOG2, begin, chart, copy, said, type Chart } from './chart-driver.js';

const facts: Partial<EngineFacts> = { pageSize: 4096, recovery: true, circularLogging: false, incrementalBase: true };
const known = () => chart({ facts });
const read = (size = 65536, handle = '0') => ({ type: 'READ_FILE', handle, size }) as const;

/** A full session in the log phase: the database copied, GetLogInfo listed LOG1 and LOG2. */
function logPhase(c: Chart): Chart {
  begin(c);
  c.forward({ type: 'GET_ATTACH_INFO' }, { files: [DB] });
  copy(c, DB);
  c.forward({ type: 'GET_LOG_INFO' }, { files: [LOG1, LOG2] });
  return c;
}

describe('verdict: Begin (§3, rules in order)', () => {
  it.each([
    ['no session, full', {}, 0, 'allowed'],
    ['grbit Atomic (0x4)', {}, 0x4, 'refused -900'],
    ['grbit Snapshot (0x10)', {}, 0x10, 'refused -900'],
    ['logging disabled', { recovery: false }, 0, 'refused -516'],
    ['logging disabled comes before the grbit', { recovery: false }, 0x4, 'refused -516'],
    ['incremental with circular logging', { circularLogging: true }, 1, 'refused -526'],
    ['incremental without a truncating full backup', { incrementalBase: false }, 1, 'refused -560'],
    ['incremental with a base', {}, 1, 'allowed'],
  ] as const)('%s: %s', (_name, extra, grbit, expected) => {
    const c = chart({ facts: { ...facts, ...extra } });
    expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit }))).toBe(expected);
  });

  it('unknown configuration: depends on -516, -526, -560 (the chart learns them from answers)', () => {
    const c = chart();
    expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe('depends -516');
    expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 }))).toBe('depends -516,-526,-560');
    // -560 comes last: every earlier rule passed (logging on, no circular logging).
    c.forward({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 }, { err: -560 });
    expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 }))).toBe('refused -560');
    expect(c.context().facts).toMatchObject({ recovery: true, circularLogging: false, incrementalBase: false });
    const d = chart();
    d.forward({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 }, { err: -526 });
    expect(said(d.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 }))).toBe('refused -526');
    expect(said(d.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe('allowed');
    const e = chart();
    e.forward({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }, { err: -516 });
    expect(said(e.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe('refused -516');
  });

  it('a backup in progress, even a stopped one: -505 (an unknown circular logging may answer -526 first)', () => {
    const c = known();
    begin(c);
    expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 }))).toBe('refused -505');
    c.stop();
    expect(said(c.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 }))).toBe('refused -505');
    const u = chart();
    begin(u);
    expect(u.verdict({ type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 })).toMatchObject({ kind: 'refused', err: -505, or: [-526] });
  });
});

describe('verdict: GetAttachInfo, GetLogInfo, GetTruncateLogInfo (§3)', () => {
  it('no backup -520; stopped -801; incremental -521 (GetAttachInfo); a handle open -521 (log info)', () => {
    const c = known();
    for (const type of ['GET_ATTACH_INFO', 'GET_LOG_INFO', 'GET_TRUNCATE_LOG_INFO'] as const)
      expect(said(c.verdict({ type }))).toBe('refused -520');
    begin(c);
    c.forward({ type: 'OPEN_FILE', name: DB }, { name: DB, size: '32768' });
    expect(said(c.verdict({ type: 'GET_ATTACH_INFO' }))).toBe('allowed');
    expect(said(c.verdict({ type: 'GET_LOG_INFO' }))).toBe('refused -521');
    expect(said(c.verdict({ type: 'GET_TRUNCATE_LOG_INFO' }))).toBe('refused -521');
    c.stop();
    for (const type of ['GET_ATTACH_INFO', 'GET_LOG_INFO', 'GET_TRUNCATE_LOG_INFO'] as const)
      expect(said(c.verdict({ type }))).toBe('refused -801');
    const i = known();
    begin(i, 1);
    expect(said(i.verdict({ type: 'GET_ATTACH_INFO' }))).toBe('refused -521');
    expect(said(i.verdict({ type: 'GET_LOG_INFO' }))).toBe('allowed');
  });

  it('GetLogInfo and GetTruncateLogInfo both enter the log phase; later calls are idempotent', () => {
    for (const type of ['GET_LOG_INFO', 'GET_TRUNCATE_LOG_INFO'] as const) {
      const c = known();
      begin(c);
      c.forward({ type }, { files: [LOG1] });
      expect(c.value()).toMatchObject({ backup: { session: { phase: { logs: 'full' } } } });
      c.forward({ type }, { files: [LOG1] });
      expect(c.value()).toMatchObject({ backup: { session: { phase: { logs: 'full' } } } });
    }
  });
});

describe('verdict: Open (§3)', () => {
  it('database phase: -520, -801 first; empty name -1003; a handle open -1011; an attached database opens; anything else -1203', () => {
    const c = known();
    expect(said(c.verdict({ type: 'OPEN_FILE', name: '' }))).toBe('refused -520');
    begin(c);
    expect(said(c.verdict({ type: 'OPEN_FILE', name: '' }))).toBe('refused -1003');
    expect(said(c.verdict({ type: 'OPEN_FILE', name: DB }))).toBe('depends -1203'); // GetAttachInfo not called yet
    c.forward({ type: 'GET_ATTACH_INFO' }, { files: [DB] });
    expect(said(c.verdict({ type: 'OPEN_FILE', name: DB }))).toBe('allowed');
    expect(said(c.verdict({ type: 'OPEN_FILE', name: LOG1 }))).toBe('depends -1203');
    c.forward({ type: 'OPEN_FILE', name: LOG1 }, { err: -1203 });
    expect(c.value()).toMatchObject({ backup: { session: { phase: 'databases', file: 'closed' } } }); // session continues
    c.forward({ type: 'OPEN_FILE', name: DB }, { name: DB, size: '32768' });
    expect(said(c.verdict({ type: 'OPEN_FILE', name: DB }))).toBe('refused -1011');
    expect(said(c.verdict({ type: 'OPEN_FILE', name: '' }))).toBe('refused -1003'); // the empty name is checked before -1011
  });

  it('log phase: a database -521 (refused: it would kill the session); a listed log may be missing (-569); others kill', () => {
    const c = logPhase(known());
    expect(said(c.verdict({ type: 'OPEN_FILE', name: DB }))).toBe('refused -521');
    expect(said(c.verdict({ type: 'OPEN_FILE', name: LOG1 }))).toBe('depends -569');
    expect(said(c.verdict({ type: 'OPEN_FILE', name: '/elsewhere/x.log' }))).toBe('depends -521,-569');
    c.forward({ type: 'OPEN_FILE', name: '/elsewhere/x.log' }, { err: -569 });
    expect(c.value()).toMatchObject({ backup: { noSession: 'killed' } });
  });

  it('incremental: in the log phase from Begin (ESE backup.cxx): a log opens before GetLogInfo too; a database kills', () => {
    const c = known();
    begin(c, 1);
    expect(said(c.verdict({ type: 'OPEN_FILE', name: LOG1 }))).toBe('depends -521,-569');
    c.forward({ type: 'OPEN_FILE', name: LOG1 }, { name: LOG1, size: '65536' });
    expect(c.value()).toMatchObject({ backup: { session: { phase: { logs: 'incremental' }, file: 'open' } } });
    expect(c.context().session?.file).toMatchObject({ name: LOG1, kind: 'log' });
    c.forward({ type: 'CLOSE_FILE', handle: '0' }, {});
    c.forward({ type: 'GET_LOG_INFO' }, { files: [LOG1] });
    expect(said(c.verdict({ type: 'OPEN_FILE', name: LOG1 }))).toBe('depends -569');
    c.forward({ type: 'OPEN_FILE', name: DB }, { err: -521 }); // a database: the engine kills the session
    expect(c.value()).toMatchObject({ backup: { noSession: 'killed' } });
  });
});

describe('verdict: Read (§3)', () => {
  const open = (c: Chart, name = DB) => {
    begin(c);
    c.forward({ type: 'OPEN_FILE', name }, { name, size: '32768' });
    return c;
  };

  it('-520, -801, then the handle (-1003; ESE does not range-check it, the client must)', () => {
    const c = known();
    expect(said(c.verdict(read()))).toBe('refused -520');
    begin(c);
    expect(said(c.verdict(read()))).toBe('refused -1003'); // no file open
    c.forward({ type: 'OPEN_FILE', name: DB }, { name: DB, size: '32768' });
    expect(said(c.verdict(read(65536, '1')))).toBe('refused -1003');
    expect(said(c.verdict(read(65536, '0')))).toBe('depends -1018,-1022');
  });

  it('buffer size 0 or not a multiple of the page size: -1003, and the session stays usable', () => {
    const c = open(chart({ facts: { ...facts, pageSize: 8192 } }));
    expect(said(c.verdict(read(0)))).toBe('refused -1003');
    expect(said(c.verdict(read(4096 * 7)))).toBe('refused -1003');
    expect(said(c.verdict(read(8192 * 8)))).toBe('depends -1018,-1022');
  });

  it('first read of a database below 3 pages, of a log below 2 pages: -1003; later reads may be one page', () => {
    const c = open(known());
    expect(said(c.verdict(read(8192)))).toBe('refused -1003');
    expect(said(c.verdict(read(12288)))).toBe('depends -1018,-1022');
    c.forward(read(12288), { bytes: 12288, offset: 12288 });
    expect(said(c.verdict(read(4096)))).toBe('depends -1018,-1022');
    const l = logPhase(known());
    l.forward({ type: 'OPEN_FILE', name: LOG1 }, { name: LOG1, size: '65536' });
    expect(said(l.verdict(read(4096)))).toBe('refused -1003');
    expect(said(l.verdict(read(8192)))).toBe('depends -612,-1022');
  });

  it('with the page size unknown, only what every page size implies is certain', () => {
    const c = open(chart());
    expect(said(c.verdict(read(4096 * 3 + 1)))).toBe('refused -1003');
    expect(said(c.verdict(read(4096 * 2)))).toBe('refused -1003');
    expect(said(c.verdict(read(65536)))).toBe('depends -1003,-1018,-1022');
    expect(said(c.verdict(read(32768 * 4)))).toBe('depends -1018,-1022');
  });

  it('EOF: a read reaching the announced size marks the file read to EOF; so does a 0-byte read', () => {
    const c = open(known());
    c.forward(read(), { bytes: 32768, offset: 32768 });
    expect(c.context().session?.file?.eof).toBe(true);
    const z = open(known());
    z.forward(read(), { bytes: 0, offset: 0 });
    expect(z.context().session?.file?.eof).toBe(true);
  });
});

describe('verdict: Close, TruncateLog, End (§3)', () => {
  it('Close: -520, bad handle -1003; stop is not checked', () => {
    const c = known();
    expect(said(c.verdict({ type: 'CLOSE_FILE', handle: '0' }))).toBe('refused -520');
    begin(c);
    expect(said(c.verdict({ type: 'CLOSE_FILE', handle: '0' }))).toBe('refused -1003');
    c.forward({ type: 'OPEN_FILE', name: DB }, { name: DB, size: '32768' });
    expect(said(c.verdict({ type: 'CLOSE_FILE', handle: '1' }))).toBe('refused -1003');
    c.stop();
    expect(said(c.verdict({ type: 'CLOSE_FILE', handle: '0' }))).toBe('allowed');
  });

  it('TruncateLog: -520, -801, a handle open -521, GetLogInfo never called -521, a log not read to EOF and closed -616', () => {
    const c = known();
    expect(said(c.verdict({ type: 'TRUNCATE_LOG' }))).toBe('refused -520');
    begin(c);
    expect(said(c.verdict({ type: 'TRUNCATE_LOG' }))).toBe('refused -521');
    c.forward({ type: 'GET_ATTACH_INFO' }, { files: [DB] });
    c.forward({ type: 'GET_LOG_INFO' }, { files: [LOG1, LOG2] });
    expect(said(c.verdict({ type: 'TRUNCATE_LOG' }))).toBe('refused -616');
    copy(c, LOG1);
    c.forward({ type: 'OPEN_FILE', name: LOG2 }, { name: LOG2, size: '32768' });
    expect(said(c.verdict({ type: 'TRUNCATE_LOG' }))).toBe('refused -521');
    c.forward(read(), { bytes: 16384, offset: 16384 });
    c.forward({ type: 'CLOSE_FILE', handle: '0' }, {});
    expect(said(c.verdict({ type: 'TRUNCATE_LOG' }))).toBe('refused -616'); // closed, but not read to EOF
    copy(c, LOG2);
    expect(said(c.verdict({ type: 'TRUNCATE_LOG' }))).toBe('allowed');
    c.stop();
    expect(said(c.verdict({ type: 'TRUNCATE_LOG' }))).toBe('refused -801');
  });

  it('TruncateLog after GetTruncateLogInfo alone: the copy range is not listed, -616 depends', () => {
    const c = known();
    begin(c);
    c.forward({ type: 'GET_TRUNCATE_LOG_INFO' }, { files: [LOG1] });
    expect(said(c.verdict({ type: 'TRUNCATE_LOG' }))).toBe('depends -616');
  });

  it.each([
    [0x0, 'refused -1003'],
    [0x3, 'refused -1003'],
    [0x4, 'refused -1003'],
    [0x100, 'refused -1003'],
    [0x1, 'allowed'],
    [0x2, 'allowed'],
    [0x101, 'allowed'],
    [0x102, 'allowed'],
  ])('End2 grbit 0x%s: %s; an invalid grbit keeps the session open', (grbit, expected) => {
    const c = known();
    begin(c);
    expect(said(c.verdict({ type: 'END_EXTERNAL_BACKUP', grbit }))).toBe(expected);
  });

  it('End2: the grbit is checked before -520', () => {
    const c = known();
    expect(said(c.verdict({ type: 'END_EXTERNAL_BACKUP', grbit: 0 }))).toBe('refused -1003');
    expect(said(c.verdict({ type: 'END_EXTERNAL_BACKUP', grbit: 1 }))).toBe('refused -520');
  });

  it('StopService and Term: unknown bits -900', () => {
    const c = known();
    expect(said(c.verdict({ type: 'STOP_SERVICE', grbit: 0x1 }))).toBe('refused -900');
    expect(said(c.verdict({ type: 'STOP_SERVICE', grbit: 0x80000000 }))).toBe('allowed');
    expect(said(c.verdict({ type: 'TERM', grbit: 0x10 }))).toBe('refused -900');
    expect(said(c.verdict({ type: 'TERM', grbit: 0x1 }))).toBe('allowed'); // no backup running
  });
});
