// The README's main job (`npm start` = `ese-backup demo` with its defaults: 256 MiB, reads paced to
// 64 MiB/s, a writer committing rows meanwhile) must end with every committed row restored. At this size
// the copy's last page can hold a record written after Open; smaller demos never showed that the
// restore lost every replayed row (fixed in the engine's record stream, see test/engine/restore-fuzzy-tail).
import { expect, it } from 'vitest';
import { runCli } from './cli-helpers.js';

it(
  'ese-backup demo with its defaults: completed, verified, restored, every committed row there (exit 0)',
  { timeout: 300_000 },
  async () => {
    const r = await runCli(['demo', '--json', '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ outcome: 'completed', exitCode: 0, verify: { ok: true }, restore: { missing: 0, rows: 4096 } });
  },
);
