/**
 * Child process of test/esent/async-stack.test.ts: one `.async` call of the shim's `shim_stack_probe(kib)`
 * on koffi's default configuration (`default`) or after `configureKoffiForEsent()` (`esent`). Prints
 * `probe ok <stack size>` and exits 0, or dies of the overflow (SIGSEGV) — which is what the test checks.
 *
 * Usage: node --import tsx stack-probe-child.ts LIBRARY KIB default|esent
 */
import koffi from 'koffi';
import { configureKoffiForEsent } from '../../src/esent/index.js';

const [library, kib, mode] = process.argv.slice(2);
if (!library || !kib || (mode !== 'default' && mode !== 'esent')) {
  console.error('usage: stack-probe-child.ts LIBRARY KIB default|esent');
  process.exit(2);
}
if (mode === 'esent') configureKoffiForEsent();
const probe = koffi.load(library).func('uint32_t shim_stack_probe(uint32_t kib)');
probe.async(Number(kib), (err: unknown, result: number) => {
  if (err || result === 0) {
    console.error('probe failed', err);
    process.exit(1);
  }
  console.log(`probe ok ${koffi.config().async_stack_size}`);
});
