// Issue 12 §4: the Windows workflow cannot run here, so it must at least parse and say what it promises:
// `npm ci && npm run test:esent` on a Windows runner, with 64-bit and 32-bit Node, the output uploaded.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..', '..');
const text = fs.readFileSync(path.join(root, '.github', 'workflows', 'windows.yml'), 'utf8');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
  shell?: string;
}
interface Job {
  'runs-on': string;
  strategy?: { matrix?: { arch?: string[] } };
  steps: Step[];
}

describe('.github/workflows/windows.yml', () => {
  const workflow = parse(text) as { on: Record<string, unknown>; jobs: Record<string, Job> };
  const jobs = Object.values(workflow.jobs);

  it('parses, and runs on a Windows runner for every push and pull request', () => {
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!['runs-on']).toMatch(/^windows-/);
  });

  it('runs npm ci && npm run test:esent with 64-bit and 32-bit Node', () => {
    const job = jobs[0]!;
    expect(job.strategy?.matrix?.arch).toEqual(['x64', 'x86']);
    const setup = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setup?.with).toMatchObject({ 'node-version': 20, architecture: '${{ matrix.arch }}' });
    const run = job.steps.map((s) => s.run ?? '').join('\n');
    expect(run.indexOf('npm ci')).toBeGreaterThanOrEqual(0);
    expect(run.indexOf('npm run test:esent')).toBeGreaterThan(run.indexOf('npm ci'));
    expect(run).toContain('set -o pipefail'); // a failing test fails the job despite the tee
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['test:esent']).toBe('tsx test/native/run-system-esent.ts');
  });

  it('uploads the whole output of each architecture, pass or fail', () => {
    const job = jobs[0]!;
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.if).toBe('always()');
    expect(upload?.with?.path).toBe('test-esent-${{ matrix.arch }}.log');
    const run = job.steps.map((s) => s.run ?? '').join('\n');
    expect(run).toContain('npm run test:esent 2>&1 | tee -a test-esent-${{ matrix.arch }}.log');
  });
});
