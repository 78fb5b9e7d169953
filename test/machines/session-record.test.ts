// Reference §2: End's return code does not prove success; the outcome comes from the sequence.
import { describe, expect, it } from 'vitest';
import { DB, LOG1, LOG2, begin, chart, copy, fullCopied } from './chart-driver.js';

const end = (grbit: number) => ({ type: 'END_EXTERNAL_BACKUP', grbit }) as const;

describe('outcome of a session', () => {
  it('completed: not stopped, every database and log read to EOF and closed, End(Normal) answered 0', () => {
    const c = chart();
    fullCopied(c);
    c.forward(end(1), { grbit: 1 });
    expect(c.context().outcome).toEqual({ kind: 'completed' });
  });

  it('completed with TruncateDone and after TruncateLog', () => {
    const c = chart();
    fullCopied(c);
    c.forward({ type: 'TRUNCATE_LOG' }, {});
    c.forward(end(0x101), { grbit: 0x101 });
    expect(c.context().outcome).toEqual({ kind: 'completed' });
    expect(c.context().facts.incrementalBase).toBe(true);
  });

  it('completed incremental: every log of GetLogInfo copied', () => {
    const c = chart();
    begin(c, 1);
    c.forward({ type: 'GET_LOG_INFO' }, { files: [LOG1] });
    copy(c, LOG1);
    c.forward(end(1), { grbit: 1 });
    expect(c.context().outcome).toEqual({ kind: 'completed' });
  });

  it('failed(-569): End(Normal) in the log phase with a log not copied (End still answers 0)', () => {
    const c = chart();
    begin(c);
    c.forward({ type: 'GET_ATTACH_INFO' }, { files: [DB] });
    copy(c, DB);
    c.forward({ type: 'GET_LOG_INFO' }, { files: [LOG1, LOG2] });
    copy(c, LOG1);
    c.forward(end(1), { grbit: 1 });
    expect(c.context().outcome).toEqual({ kind: 'failed', err: -569 });
  });

  it('failed(-1018): a database checksum failure closed the file and it was never copied again', () => {
    const c = chart();
    begin(c);
    c.forward({ type: 'GET_ATTACH_INFO' }, { files: [DB] });
    c.forward({ type: 'OPEN_FILE', name: DB }, { name: DB, size: '32768' });
    c.forward({ type: 'READ_FILE', handle: '0', size: 65536 }, { err: -1018 });
    c.forward({ type: 'GET_LOG_INFO' }, { files: [LOG1] });
    copy(c, LOG1);
    c.forward(end(1), { grbit: 1 });
    expect(c.context().outcome).toEqual({ kind: 'failed', err: -1018 });
  });

  it('failed: GetAttachInfo never called, so the databases are unknown', () => {
    const c = chart();
    begin(c);
    c.forward({ type: 'GET_LOG_INFO' }, { files: [LOG1] });
    copy(c, LOG1);
    c.forward(end(1), { grbit: 1 });
    expect(c.context().outcome).toEqual({ kind: 'failed', err: -569 });
  });

  it('abortedByCaller: End(Abort) anywhere, or End(Normal) before GetLogInfo', () => {
    const a = chart();
    fullCopied(a);
    a.forward(end(2), { grbit: 2 });
    expect(a.context().outcome).toEqual({ kind: 'abortedByCaller' });
    const b = chart();
    begin(b);
    b.forward(end(1), { grbit: 1 });
    expect(b.context().outcome).toEqual({ kind: 'abortedByCaller' });
  });

  it('stoppedByServer: stopped at any point, even after everything was copied', () => {
    const c = chart();
    fullCopied(c);
    c.stop();
    c.forward(end(1), { grbit: 1 });
    expect(c.context().outcome).toEqual({ kind: 'stoppedByServer' });
  });

  it('an End(grbit) refused -1003 keeps the session open and records nothing', () => {
    const c = chart();
    begin(c);
    c.forward(end(3), { err: -1003 });
    expect(c.value()).toMatchObject({ backup: { session: { stop: 'running' } } });
    expect(c.context().outcome).toBeNull();
  });

  it('a new Begin clears the last outcome', () => {
    const c = chart();
    begin(c);
    c.forward(end(2), { grbit: 2 });
    expect(c.context().outcome).not.toBeNull();
    begin(c);
    expect(c.context().outcome).toBeNull();
  });
});
