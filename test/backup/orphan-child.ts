// A backup run in its own process, for the orphan tests: argv = engine directory, set path, 'block' | 'run'.
// It prints STARTED just before the run; with 'block', READY once the first database chunk was written,
// then it blocks until killed.
import { runBackup } from '../../src/backup/index.js';
import { createCoordinator } from '../../src/coordinator/index.js';
import { createEmbeddedEngine } from '../../src/engine/index.js';

const [engineDir, to, how] = process.argv.slice(2) as [string, string, string];
const engine = await createEmbeddedEngine({ directory: engineDir });
const inst = await engine.createInstance('main', { logFileSize: 64 * 1024 });
await engine.init(inst);
const db = await engine.createDatabase(inst, 'test.edb');
for (let i = 0; i < 96; i += 8) await Promise.all(Array.from({ length: 8 }, (_, j) => db.put(`k${i + j}`, 'v'.repeat(3000))));
const coordinator = createCoordinator({ api: engine });
process.stdout.write('STARTED\n');
const run = runBackup({ coordinator, instance: inst, to, mode: 'full', readSize: 12 * 1024, instanceName: 'main' });
run.progress$.subscribe((p) => {
  if (how === 'block' && p.phase === 'databases' && p.fileBytes > 0) {
    process.stdout.write('READY\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
});
const result = await run;
process.stdout.write(`${JSON.stringify({ outcome: result.outcome })}\n`);
await engine.close();
