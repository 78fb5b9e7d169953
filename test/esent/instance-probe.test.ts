// esent.dll validates every non-NULL, non-Nil instance before anything else (JET_VALIDATE_INSTANCE in
// jetapi.cxx) and answers -1115 for a handle that names no instance; NULL and Nil pass that probe and are
// refused later (-1003), as is a terminated instance the engine still remembers. The shim does the same.
import { describe, expect, it } from 'vitest';
import { JET_err, JET_instanceNil } from '../../src/jet/index.js';
import { filledInstance, noCompiler, openNative } from './native-session.js';

describe.skipIf(noCompiler)('esent over the shim: the instance probe', () => {
  it('garbage handles answer -1115 on every instance call, before the engine; NULL, Nil and a terminated instance -1003', async () => {
    const { api, engine, host } = await openNative();
    const dead = await filledInstance(engine, 'dead');
    await api.term(dead);
    for (const garbage of [0x1234_5678n, 0xdead_beef_0000n, (1n << 63n) + 8n]) {
      await expect(api.beginExternalBackup(garbage, 0)).rejects.toMatchObject({ err: JET_err.InvalidInstance });
      await expect(api.getAttachInfo(garbage)).rejects.toMatchObject({ err: JET_err.InvalidInstance });
      await expect(api.readFile(garbage, 0n, new Uint8Array(65536))).rejects.toMatchObject({ err: JET_err.InvalidInstance });
      await expect(api.term(garbage)).rejects.toMatchObject({ err: JET_err.InvalidInstance });
      expect(() => api.stopBackup(garbage + 16n)).toThrow(expect.objectContaining({ err: JET_err.InvalidInstance }));
    }
    for (const refused of [0n, JET_instanceNil, dead]) {
      await expect(api.getLogInfo(refused)).rejects.toMatchObject({ err: JET_err.InvalidParameter });
    }
    expect(host.calls.filter((c) => c.err === JET_err.InvalidInstance).length).toBe(15);
  });
});
