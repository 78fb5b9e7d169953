// A restore in its own process, for the clean tests: argv = set directory, target, 'engine' | 'fsync',
// a directory for the child's own engine.
// It prints READY and blocks until killed: 'engine' once the engine has built and replayed the
// instance in the temporary directory (its instance lock held), 'fsync' at the first fsync of a file
// there (after the engine shut the instance down: no lock held, the rename still to come).
import path from 'node:path';
import { restoreBackupSet } from '../../src/backup/index.js';
import { realRestoreFs, type RestoreFs } from '../../src/backup/restore-fs.js';
import { createEmbeddedEngine, type EmbeddedEngine } from '../../src/engine/index.js';

const [set, to, when, engineDir] = process.argv.slice(2) as [string, string, 'engine' | 'fsync', string];
const block = (): never => {
  process.stdout.write('READY\n');
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
};
const engine = await createEmbeddedEngine({ directory: engineDir });
const blocking = new Proxy(engine, {
  get(target, prop, receiver) {
    const value = Reflect.get(target, prop, receiver) as unknown;
    if (prop !== 'restore' || when !== 'engine') return value;
    return async (...args: Parameters<EmbeddedEngine['restore']>) => {
      await target.restore(...args);
      return block();
    };
  },
});
const fs: RestoreFs = {
  ...realRestoreFs,
  async fsync(file) {
    if (when === 'fsync' && path.basename(path.dirname(file)).includes('.restoring-')) block();
    return realRestoreFs.fsync(file);
  },
};
process.stdout.write('STARTED\n');
await restoreBackupSet(set, { engine: blocking, to, fs });
process.stdout.write('RESTORED\n');
await engine.close();
