// Where BLAKE3's prebuilt binary cannot be loaded (a platform npm installed no binary for): an explicit
// --digest blake3 fails naming the package, the default falls back to SHA-256 with a warning, and a
// BLAKE3 set cannot be verified there (said per file, naming the package).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupArgs, makeInstance, putRows, runCli, tempDir } from './cli-helpers.js';

/**
 * A preload that makes the platform binary of @napi-rs/blake-hash unloadable, as on a platform without
 * one: the package itself loads and raises its own error (its wording differs between its versions).
 */
const BLOCK = `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (/blake-hash-|blake\\..*\\.node$/.test(request)) throw new Error("Cannot find module '" + request + "'");
  return load.call(this, request, ...rest);
};
`;

describe('ese-backup where BLAKE3 cannot be loaded', () => {
  it('--digest blake3 fails (exit 1) naming the package; the default writes SHA-256 with a warning; a BLAKE3 set does not verify there', async () => {
    const dir = await tempDir();
    await makeInstance(dir, 'main', (db) => putRows(db, 0, 20));
    const block = path.join(dir, 'block-blake3.cjs');
    fs.writeFileSync(block, BLOCK);
    const blocked = { env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${block}`.trim() } };
    const sets = path.join(dir, 'sets');

    const explicit = await runCli(backupArgs(dir, 'main', path.join(sets, 'a'), '--digest', 'blake3', '--no-progress'), blocked);
    expect(explicit.code, explicit.stderr).toBe(1);
    expect(explicit.stderr).toMatch(
      /BLAKE3 needs the package @napi-rs\/blake-hash and its prebuilt binary for \S+ \(an optional dependency: install with `npm install @napi-rs\/blake-hash`, never with --omit=optional\), but it cannot be loaded: .+\(a set can be written with SHA-256 instead: digest sha256\)/,
    );
    expect(fs.existsSync(path.join(sets, 'a'))).toBe(false);

    const fallback = await runCli(backupArgs(dir, 'main', path.join(sets, 'b'), '--no-progress'), blocked);
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(fallback.stderr).toMatch(
      /\[ESE_BACKUP_BLAKE3_UNAVAILABLE\] Warning: BLAKE3 needs the package @napi-rs\/blake-hash .* New sets record SHA-256 instead\./,
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(sets, 'b', 'manifest.json'), 'utf8')) as { digest: string };
    expect(manifest.digest).toBe('sha256');

    // A BLAKE3 set written where the binary loads, verified where it does not.
    const made = await runCli(backupArgs(dir, 'main', path.join(sets, 'c'), '--no-progress'));
    expect(made.code, made.stderr).toBe(0);
    const [there, here] = await Promise.all([
      runCli(['verify', path.join(sets, 'c'), '--json'], blocked),
      runCli(['verify', path.join(sets, 'c')]),
    ]);
    expect(here.code, here.stdout).toBe(0);
    expect(here.stdout).toMatch(/^ok +\S+: full, 2 files, .*, log generations \d+-\d+, BLAKE3; unsigned/m);
    expect(there.code).toBe(1);
    const report = (there.json() as { sets: { digest: string; problems: { message: string }[] }[] }).sets[0]!;
    expect(report.digest).toBe('blake3');
    const problems = report.problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p.message).toMatch(/: BLAKE3 needs the package @napi-rs\/blake-hash/);
  });
});
