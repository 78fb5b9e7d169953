import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.js';

/**
 * Run `ese-backup args… --json` in this process (so that a shim host started by the test serves its esent
 * calls) and parse its JSON result.
 */
export async function cli(args: string[]): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: string[] = [];
  const errs: string[] = [];
  stdout.on('data', (d) => chunks.push(String(d)));
  stderr.on('data', (d) => errs.push(String(d)));
  const code = await runCli([...args, '--json'], { stdout, stderr, env: { ...process.env, NO_COLOR: '1' } } as never);
  const text = chunks.join('');
  return { code, json: (text.trim() ? JSON.parse(text) : {}) as Record<string, unknown>, stderr: errs.join('') };
}
