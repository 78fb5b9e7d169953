// Issue 12 §1 "Stop vs Term": ESE's JetStopBackupInstance finds the instance without a lock, while JetTerm2
// frees it under a lock Stop never takes. The binding never sends Stop for an instance with a Term in
// flight or done: it answers -1003 as ESE does for a dead instance. Checked on the calls the shim received.
import { describe, expect, it } from 'vitest';
import { JET_bit, JET_err, JetError } from '../../src/jet/index.js';
import { filledInstance, noCompiler, openNative } from './native-session.js';

/** A promise and its resolver. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe.skipIf(noCompiler)('esent: Stop never races Term', () => {
  it('with Term in flight (held inside the engine) and after it, Stop answers -1003 and never reaches the library', async () => {
    const held = gate();
    const entered = gate();
    const { api, engine, host } = await openNative({
      async before(c) {
        if (c.api === 'term') {
          entered.open();
          await held.wait;
        }
      },
    });
    const inst = await filledInstance(engine, 'racing');
    await api.beginExternalBackup(inst, 0);
    api.stopBackup(inst); // a live instance: Stop goes through
    expect(host.calls.filter((c) => c.api === 'stopBackup')).toHaveLength(1);
    const term = api.term(inst, JET_bit.TermStopBackup);
    await entered.wait; // Term is inside the library now
    let caught: unknown;
    try {
      api.stopBackup(inst);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(JetError);
    expect(caught).toMatchObject({ err: JET_err.InvalidParameter, api: 'JetStopBackupInstance' });
    held.open();
    await term;
    expect(() => api.stopBackup(inst)).toThrow(expect.objectContaining({ err: JET_err.InvalidParameter }));
    expect(api.library.isTerminated(inst)).toBe(true);
    expect(
      host.calls.filter((c) => c.api === 'stopBackup'),
      'Stop reached the library after Term',
    ).toHaveLength(1);
  });

  it('a Term that fails still counts: Stop is not sent afterwards (a stale handle stays refused)', async () => {
    const { api, engine, host } = await openNative();
    const inst = await filledInstance(engine, 'twice');
    await api.term(inst);
    await expect(api.term(inst)).rejects.toMatchObject({ err: JET_err.InvalidParameter });
    expect(() => api.stopBackup(inst)).toThrow(expect.objectContaining({ err: JET_err.InvalidParameter }));
    expect(host.calls.filter((c) => c.api === 'stopBackup')).toHaveLength(0);
  });
});
