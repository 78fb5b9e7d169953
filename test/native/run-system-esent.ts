/**
 * npm run test:esent — against the system esent.dll (Windows only; .github/workflows/windows.yml runs it
 * with 64-bit and 32-bit Node): the contract checks of test/esent/esent-contract.test.ts and the whole
 * conformance suite (test/conformance) on the `esent-system` backend, whose setup goes through ESE's own
 * calls (test/conformance/esent-setup-facade.ts); tests that need an embedded-engine hook are skipped with
 * the reason printed. Elsewhere it says why it cannot run and exits 0.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

if (process.platform !== 'win32') {
  console.log(`test:esent: skipped — esent.dll exists only on Windows, and this is ${process.platform} (${os.release()}).`);
  console.log('Here the binding is tested over the esent shim instead: npx vitest run test/esent test/conformance');
  process.exit(0);
}
console.log(`test:esent: the system esent.dll on Windows ${os.release()} (${process.arch}), node ${process.version}`);
const run = spawnSync('npx', ['vitest', 'run', 'test/esent/esent-contract.test.ts', 'test/conformance', '--reporter=verbose'], {
  stdio: 'inherit',
  shell: true,
  env: { ...process.env, ESE_SYSTEM_ESENT: '1' },
});
console.log(`test:esent: vitest exited with ${run.status ?? run.signal} (${process.arch} node ${process.version}).`);
console.log('Please send back everything above (Windows version, Node version and architecture, each test line), pass or fail.');
process.exit(run.status ?? 1);
