/**
 * npm run test:esent — the contract checks of test/esent/esent-contract.test.ts against the system
 * esent.dll (Windows only). Elsewhere it says why it cannot run and exits 0.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';

if (process.platform !== 'win32') {
  console.log(`test:esent: skipped — esent.dll exists only on Windows, and this is ${process.platform} (${os.release()}).`);
  console.log('Here the binding is tested over the esent shim instead: npx vitest run test/esent test/conformance');
  process.exit(0);
}
console.log(`test:esent: the system esent.dll on Windows ${os.release()} (${process.arch}), node ${process.version}`);
const run = spawnSync('npx', ['vitest', 'run', 'test/esent/esent-contract.test.ts', '--reporter=verbose'], {
  stdio: 'inherit',
  shell: true,
  env: { ...process.env, ESE_SYSTEM_ESENT: '1' },
});
console.log('Please send back everything above (Windows version, Node version and each test line), pass or fail.');
process.exit(run.status ?? 1);
