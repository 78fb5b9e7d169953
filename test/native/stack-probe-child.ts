/**
 * Child process of test/esent/async-stack.test.ts and read-worker.test.ts: one call of the shim's
 * `shim_stack_probe(kib)` — through `.async` on koffi's default configuration (`default`) or after
 * `configureKoffiForEsent()` (`esent`), or synchronously on the binding's read worker thread (`worker`,
 * EsentReadWorker). Prints `probe ok <stack size>` and exits 0, or dies of the overflow (SIGSEGV) — which
 * is what the tests check.
 *
 * Usage: node --import tsx stack-probe-child.ts LIBRARY KIB default|esent|worker
 */
import koffi from 'koffi';
import { configureKoffiForEsent } from '../../src/esent/index.js';
import { EsentReadWorker } from '../../src/esent/esent-read-worker.js';
import { ESENT_SYNC_STACK_SIZE } from '../../src/ffi/load-koffi.js';

const [library, kib, mode] = process.argv.slice(2);
if (!library || !kib || (mode !== 'default' && mode !== 'esent' && mode !== 'worker')) {
  console.error('usage: stack-probe-child.ts LIBRARY KIB default|esent|worker');
  process.exit(2);
}
if (mode === 'worker') {
  configureKoffiForEsent();
  const worker = new EsentReadWorker({
    library,
    readPrototype: 'int32_t JetReadFileInstance(uintptr_t, uintptr_t, uintptr_t, uint32_t, _Out_ uint32_t *)',
    pointerBits: koffi.sizeof('uintptr_t') * 8,
    address: (b) => koffi.address(b) as bigint,
  });
  const result = await worker.probeStack(Number(kib));
  if (result === 0) process.exit(1);
  console.log(`probe ok ${ESENT_SYNC_STACK_SIZE} on thread ${worker.threadId}`);
  await worker.close();
} else {
  if (mode === 'esent') configureKoffiForEsent();
  const probe = koffi.load(library).func('uint32_t shim_stack_probe(uint32_t kib)');
  probe.async(Number(kib), (err: unknown, result: number) => {
    if (err || result === 0) {
      console.error('probe failed', err);
      process.exit(1);
    }
    console.log(`probe ok ${koffi.config().async_stack_size}`);
  });
}
