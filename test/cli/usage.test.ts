import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeInstance, putRows, runCli, tempDir, backupArgs } from './cli-helpers.js';

/**
 * For the two tests that start ~10 and ~30 CLI processes (each loads the sources through tsx, ~1.5 s of CPU)
 * two at a time: 37 s of the 60 s default in a CI rehearsal on 2 cores. Nothing in them measures time.
 */
const CLI_BATCH = { timeout: 180_000 };

/** Run the cases two at a time (each is a process start). */
async function all<T, R>(items: T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await run(items[i]!);
      }
    }),
  );
  return out;
}

describe('ese-backup: help and usage', () => {
  it('--help works on every command (exit 0, usage and the exit codes)', CLI_BATCH, async () => {
    const cases = [[], ['demo'], ['backup'], ['inspect'], ['verify'], ['restore'], ['clean'], ['list']];
    const results = await all(cases, (c) => runCli([...c, '--help']));
    for (const [i, r] of results.entries()) {
      const name = cases[i]!.join(' ');
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain(`Usage: ese-backup${name ? ` ${name}` : ''} [options]`);
      expect(r.stdout, name).toMatch(/^Exit codes:\n {2}0 +ok.*\n {2}1 +failed.*\n {2}2 +usage.*\n {2}130 +interrupted/m);
    }
    const helpCommand = await runCli(['help', 'restore']);
    expect(helpCommand.code).toBe(0);
    expect(helpCommand.stdout).toContain('Usage: ese-backup restore [options] <sets...>');
    const version = await runCli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });

  it('usage errors exit 2 with a clear message', CLI_BATCH, async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 8));
    const existing = path.join(dir, 'taken');
    fs.mkdirSync(existing);
    fs.writeFileSync(path.join(existing, 'x'), 'x');
    const backup = (...more: string[]) => backupArgs(dir, 'main', path.join(dir, 'sets', 'new'), ...more);
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: ese-backup/],
      [['bogus'], /unknown command 'bogus'/],
      [['backup'], /required option '--engine <spec>' not specified/],
      [['backup', '--engine', `embedded:${dir}`, '--instance', 'main'], /required option '--to <set>' not specified/],
      [
        ['backup', '--engine', 'sqlite:x', '--instance', 'main', '--to', path.join(dir, 'b')],
        /--engine must be embedded:DIR or esent, got "sqlite:x"/,
      ],
      [
        ['backup', '--engine', `embedded:${dir}`, '--instance', 'nope', '--to', path.join(dir, 'b')],
        /no embedded instance at .*nope: run "ese-backup demo --dir/,
      ],
      [
        ['backup', '--engine', `embedded:${dir}`, '--instance', 'main', '--to', existing],
        /already exists: a backup set is never written over/,
      ],
      [['backup', '--engine', `embedded:${dir}`, '--instance', 'main', '--to', path.join(dir, '.hidden')], /must not start with a dot/],
      [
        ['backup', '--engine', 'esent', '--instance', 'app', '--to', path.join(dir, 'b')],
        /--engine esent needs the databases to attach: --database FILE/,
      ],
      [backup('--read-size', '1000'), /option '--read-size <bytes>' argument '1000' is invalid. must be a multiple of 4096/],
      [backup('--rate', '0'), /option '--rate <MiB\/s>' argument '0' is invalid/],
      [backup('--digest', 'md5'), /option '--digest <algorithm>' argument 'md5' is invalid. must be blake3 or sha256/],
      [backup('--stop-after', 'soon'), /option '--stop-after <ms>' argument 'soon' is invalid/],
      [backup('--bogus'), /unknown option '--bogus'/],
      [['demo', '--size', '-1'], /option '--size <MiB>' argument '-1' is invalid/],
      [['demo', '--inspect', '70000'], /must be a port 0..65535/],
      [['demo', '--inspect', '--host', '0.0.0.0'], /--host 0\.0\.0\.0 is not a loopback address; .* pass --allow-non-loopback/],
      [
        ['inspect', '--engine', `embedded:${dir}`, '--instance', 'main', '--to', path.join(dir, 'b'), '--host', '192.0.2.1'],
        /--host 192\.0\.2\.1 is not a loopback address/,
      ],
      [['verify'], /verify needs a backup set \(verify SET\) or a file \(verify --file PATH\)/],
      [['verify', path.join(dir, 'missing')], /missing is not a directory/],
      [['verify', '--file', path.join(dir, 'missing.edb')], /missing\.edb is not a file/],
      [['restore', existing], /required option '--to <dir>' not specified/],
      [['restore', path.join(dir, 'missing'), '--to', path.join(dir, 'r')], /missing is not a backup set directory/],
      [['restore', existing, '--to', existing], /must be an empty or absent directory/],
      [['clean'], /missing required argument 'dir'/],
      [['list', path.join(dir, 'missing')], /missing is not a directory/],
    ];
    const results = await all(cases, ([args]) => runCli(args));
    for (const [i, r] of results.entries()) {
      const [args, message] = cases[i]!;
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    // With --json, stdout holds the error as JSON too.
    const json = await runCli(['backup', '--engine', 'nope', '--instance', 'x', '--to', path.join(dir, 'b'), '--json']);
    expect(json.code).toBe(2);
    expect(json.json()).toEqual({
      error: expect.objectContaining({ name: 'UsageError', message: expect.stringContaining('--engine must be') }),
      exitCode: 2,
    });
    const parseError = await runCli(['list', '--json']);
    expect(parseError.code).toBe(2);
    expect(parseError.json()).toMatchObject({ error: { message: "missing required argument 'dir'" }, exitCode: 2 });
  });

  it('--engine esent off Windows: a clear error naming the platform, exit 1', async () => {
    if (process.platform === 'win32') return;
    const dir = await tempDir();
    const r = await runCli([
      'backup',
      '--engine',
      'esent',
      '--instance',
      'app',
      '--database',
      path.join(dir, 'app.edb'),
      '--to',
      path.join(dir, 'b'),
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({
      error: {
        name: 'EsentLoadError',
        code: 'ESENT_PLATFORM_UNSUPPORTED',
        message: expect.stringContaining(`esent.dll exists only on Windows (this is ${process.platform})`),
      },
      exitCode: 1,
    });
  });
});
