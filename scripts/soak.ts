/**
 * `npm run soak [-- --kills N] [--corruptions N] [--seed S]`: the soak figures of issue 9, not part of
 * `npm test`.
 *
 * Kills: N runs of `ese-backup backup --truncate-logs` (a child process) on an embedded instance that
 * gets new rows before each run, each killed with SIGKILL at a seeded random moment, then
 * `ese-backup clean` (a child process too). After each: every name in the backup directory without a
 * dot must verify (a set that does not is a false-complete set); and the last committed set plus every
 * log still in the instance's directory must restore exactly the rows written so far, as must the
 * instance itself once reopened (anything else is data lost).
 *
 * Corruptions: N seeded mutations of copies of a committed set (flipped bits, truncated and extended
 * files, deleted and swapped files, manifest fields changed with the manifest's checksum recomputed
 * or not), each of which must make `verifyBackupSet` report a problem.
 *
 * Prints `kills N, false-complete sets F, data lost L` and `corruptions N, detected D`; exits 1 unless
 * F = L = 0 and D = N. The seed is printed and replays the same choices.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runBackup, serializeBackupManifest, verifyBackupSet, type BackupManifest } from '../src/backup/index.js';
import { openEmbeddedInstance } from '../src/cli/open-embedded-instance.js';
import { createCoordinator } from '../src/coordinator/index.js';
import { createEmbeddedEngine, type EmbeddedDatabase } from '../src/engine/index.js';
import { parseLogFileName } from '../src/engine/log-file-name.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const entry = path.join(repoRoot, 'src', 'cli', 'ese-backup.ts');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`--${name} needs a whole number >= 0, got ${process.argv[i + 1]}`);
  return value;
}

/** A seeded generator (mulberry-style), so a run can be replayed from its seed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
}

interface Child {
  kill(): void;
  /** Resolves once stderr holds a line matching `pattern`; `false` if the process ended first. */
  stderrLine(pattern: RegExp): Promise<boolean>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function cli(args: string[]): Child {
  const { FORCE_COLOR: _f, ...env } = process.env;
  const proc = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: repoRoot,
    env: { ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiting: Array<{ pattern: RegExp; resolve: (found: boolean) => void }> = [];
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiting]) {
      if (stderr.split('\n').some((l) => w.pattern.test(l))) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(true);
      }
    }
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    proc.on('close', (code, signal) => {
      for (const w of waiting.splice(0)) w.resolve(false);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    kill: () => void proc.kill('SIGKILL'),
    stderrLine: (pattern) =>
      stderr.split('\n').some((l) => pattern.test(l))
        ? Promise.resolve(true)
        : new Promise((resolve) => waiting.push({ pattern, resolve })),
    done,
  };
}

const keyOf = (i: number): string => `k${String(i).padStart(5, '0')}`;
const decoder = new TextDecoder();
const contents = (db: EmbeddedDatabase): Map<string, string> => new Map(db.entries().map(([k, v]) => [k, decoder.decode(v)]));
const sameMap = (a: Map<string, string>, b: Map<string, string>): boolean => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/** Kill runs: returns the false-complete sets and the data-lost checks that failed. */
async function killSoak(runs: number, rand: () => number, root: string): Promise<{ falseComplete: number; dataLost: number }> {
  const engineDir = path.join(root, 'engine');
  const backups = path.join(root, 'backups');
  const expected = new Map<string, string>();
  let nextKey = 0;
  const put = async (db: EmbeddedDatabase, n: number, tag: string) => {
    for (let i = 0; i < n; i += 8) {
      const batch: Promise<void>[] = [];
      // Some new keys, some rewritten ones: a lost log shows either way.
      for (let j = 0; j < Math.min(8, n - i); j++) {
        const key = keyOf(j % 2 === 0 || nextKey === 0 ? nextKey++ : Math.floor(rand() * nextKey));
        const value = `${tag}:${key}:`.padEnd(2000, 'abcdefghijklmnopqrstuvwxyz');
        expected.set(key, value);
        batch.push(db.put(key, value));
      }
      await Promise.all(batch);
    }
  };
  {
    const engine = await createEmbeddedEngine({ directory: engineDir });
    const inst = await engine.createInstance('main', { logFileSize: 64 * 1024 });
    await engine.init(inst);
    await put(await engine.createDatabase(inst, 'test.edb'), 200, 'initial');
    await engine.close();
  }
  const instDir = path.join(engineDir, 'main');
  const backupArgs = (name: string) => [
    'backup',
    '--engine',
    `embedded:${engineDir}`,
    '--instance',
    'main',
    '--to',
    path.join(backups, name),
    '--truncate-logs',
    '--read-size',
    '16384',
    '--rate',
    '4',
  ];
  const t0 = performance.now();
  const first = await cli(backupArgs('set-base')).done;
  if (first.code !== 0) throw new Error(`the first backup failed (exit ${first.code}): ${first.stdout}${first.stderr}`);
  const runMs = performance.now() - t0;

  let falseComplete = 0;
  let dataLost = 0;
  const verified = new Set<string>(['set-base']);
  const committed: string[] = ['set-base'];
  const lost = (what: string) => {
    dataLost++;
    console.log(`  data lost: ${what}`);
  };
  /** The instance reopened (recovery) holds every row written; new rows are written. */
  const reopenAndWrite = async (i: number) => {
    const opened = await openEmbeddedInstance(engineDir, 'main');
    try {
      const db = await opened.engine.attachDatabase(opened.instance, 'test.edb');
      if (!sameMap(contents(db), expected)) lost(`after run ${i - 1}, the reopened instance does not hold every row written`);
      await put(db, 8 + Math.floor(rand() * 24), `run${i}`);
    } finally {
      await opened.close();
    }
  };
  /** The last committed set plus every log still on disk restore every row written. */
  const restoreCheck = async (i: number) => {
    const last = committed.at(-1)!;
    const set = path.join(backups, last);
    const manifest = JSON.parse(fs.readFileSync(path.join(set, 'manifest.json'), 'utf8')) as BackupManifest;
    const low = manifest.logGenerations?.low ?? 0;
    const logs = fs
      .readdirSync(instDir)
      .filter((n) => n.endsWith('.log') && (parseLogFileName('edb', n) ?? Infinity) >= low)
      .map((n) => path.join(instDir, n));
    const target = path.join(root, `restore-${i}`);
    const engine = await createEmbeddedEngine({ directory: path.join(target, 'engine') });
    try {
      const restored = await engine.restore([...manifest.files.map((f) => path.join(set, f.name)), ...logs], {
        directory: path.join(target, 'restored'),
      });
      if (!sameMap(contents(restored.databases[0]!), expected))
        lost(`before run ${i}, ${last} + the logs on disk restore other rows than were written`);
    } catch (e) {
      lost(`before run ${i}, ${last} + the logs on disk do not restore: ${(e as Error).message}`);
    } finally {
      await engine.close();
      fs.rmSync(target, { recursive: true, force: true });
    }
  };

  const tally = { completed: 0, killed: 0, failed: 0, killedAfterCommit: 0, killedAfterTruncation: 0 };
  const logsOnDisk = () => fs.readdirSync(instDir).filter((n) => n.endsWith('.log') && n !== 'edb.log');
  for (let i = 0; i < runs; i++) {
    await reopenAndWrite(i);
    await restoreCheck(i);
    const name = `set-${i}`;
    const logsBefore = logsOnDisk();
    const run = cli(backupArgs(name));
    // A third of the kills at a uniform time over a whole run (start-up, recovery, clean-up, copy,
    // commit, truncation, End), a third during the copy, a third as soon as one late phase (commit,
    // verify, truncate or End, picked at random) is reported: a run that finishes first counts as completed.
    const when = rand();
    if (when < 1 / 3) await sleep(rand() * runMs);
    else if (when < 2 / 3) {
      if (await run.stderrLine(/^phase: (databases|logs)/)) await sleep(rand() * 150);
    } else await run.stderrLine(new RegExp(`^phase: ${pick(rand, ['committing', 'verifying', 'truncating', 'ending'])}`));
    run.kill();
    const end = await run.done;
    if (end.signal === 'SIGKILL') tally.killed++;
    else if (end.code === 0) tally.completed++;
    else {
      tally.failed++;
      console.log(`  run ${i} exited ${end.code}: ${end.stdout.trim().split('\n').at(-1)}`);
    }
    const clean = await cli(['clean', backups, '--json']).done;
    if (clean.code !== 0) throw new Error(`ese-backup clean exited ${clean.code}: ${clean.stdout}${clean.stderr}`);
    for (const n of fs.readdirSync(backups).filter((n) => !n.startsWith('.') && !verified.has(n))) {
      const report = await verifyBackupSet(path.join(backups, n));
      if (!report.ok) {
        falseComplete++;
        console.log(`  false-complete set ${n}: ${report.problems.map((p) => p.message).join('; ')}`);
        continue;
      }
      verified.add(n);
      committed.push(n);
      if (n === name && end.signal === 'SIGKILL') tally.killedAfterCommit++;
    }
    const after = new Set(logsOnDisk());
    if (end.signal === 'SIGKILL' && logsBefore.some((n) => !after.has(n))) tally.killedAfterTruncation++;
    const leftovers = fs.readdirSync(backups).filter((n) => n.startsWith('.'));
    if (leftovers.length > 0) console.log(`  after clean, left in ${backups}: ${leftovers.join(', ')}`);
    // Keep the disk small: only the last committed set matters from here on.
    for (const n of committed.splice(0, committed.length - 1)) fs.rmSync(path.join(backups, n), { recursive: true, force: true });
    if ((i + 1) % 25 === 0) console.log(`  ${i + 1}/${runs}: ${JSON.stringify(tally)}`);
  }
  await reopenAndWrite(runs);
  await restoreCheck(runs);
  console.log(`  runs: ${JSON.stringify(tally)} (a run ~${Math.round(runMs)} ms)`);
  return { falseComplete, dataLost };
}

/** Pick from a list with the seeded generator. */
const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

/** One seeded mutation of the set copied to `dir`; returns what it did. Every mutation changes the set. */
function mutate(dir: string, rand: () => number): string {
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BackupManifest;
  const data = manifest.files.map((f) => f.name);
  const any = [...data, 'manifest.json'];
  const rewrite = (change: (m: BackupManifest) => string, rehash: boolean): string => {
    const what = change(manifest);
    fs.writeFileSync(manifestFile, rehash ? serializeBackupManifest(manifest) : JSON.stringify(manifest, null, 2));
    return `manifest ${what}${rehash ? ' (checksum recomputed)' : ''}`;
  };
  const kind = pick(rand, ['flip', 'flip', 'truncate', 'extend', 'delete', 'swap', 'field', 'field', 'field'] as const);
  switch (kind) {
    case 'flip': {
      const name = pick(rand, any);
      const file = path.join(dir, name);
      const bytes = fs.readFileSync(file);
      const at = Math.floor(rand() * bytes.length);
      const bit = Math.floor(rand() * 8);
      bytes[at]! ^= 1 << bit;
      fs.writeFileSync(file, bytes);
      return `flip bit ${bit} of ${name} at ${at}`;
    }
    case 'truncate': {
      const name = pick(rand, any);
      const size = fs.statSync(path.join(dir, name)).size;
      const to = Math.floor(rand() * size);
      fs.truncateSync(path.join(dir, name), to);
      return `truncate ${name} from ${size} to ${to}`;
    }
    case 'extend': {
      const name = pick(rand, any);
      const extra = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 4096) }, () => Math.floor(rand() * 256)));
      fs.appendFileSync(path.join(dir, name), extra);
      return `append ${extra.length} bytes to ${name}`;
    }
    case 'delete': {
      const name = pick(rand, any);
      fs.rmSync(path.join(dir, name));
      return `delete ${name}`;
    }
    case 'swap': {
      const a = pick(rand, data);
      const b = pick(
        rand,
        data.filter((n) => n !== a),
      );
      fs.renameSync(path.join(dir, a), path.join(dir, 'swap.tmp'));
      fs.renameSync(path.join(dir, b), path.join(dir, a));
      fs.renameSync(path.join(dir, 'swap.tmp'), path.join(dir, b));
      return `swap ${a} and ${b}`;
    }
    case 'field': {
      const rehash = rand() < 0.75;
      const f = pick(rand, manifest.files);
      const logs = manifest.files.filter((x) => x.role === 'log');
      const field = pick(rand, ['size', 'digest', 'name', 'generation', 'drop', 'pageSize', 'low', 'high', 'role'] as const);
      switch (field) {
        case 'size':
          return rewrite(() => `${f.name}.size ${f.size} -> ${(f.size += rand() < 0.5 ? 1 : -4096)}`, rehash);
        case 'digest':
          return rewrite(() => {
            // The key of the manifest's algorithm (blake3, or sha256 in a version 1 set).
            const key = manifest.digest ?? 'sha256';
            const hex = f[key] ?? '';
            f[key] = `${hex[0] === '0' ? '1' : '0'}${hex.slice(1)}`;
            return `${f.name}.${key} changed`;
          }, rehash);
        case 'name':
          return rewrite(() => `${f.name}.name -> ${(f.name = `x${f.name}`)}`, rehash);
        case 'generation': {
          const l = pick(rand, logs);
          return rewrite(
            () => `${l.name}.generation ${l.generation} -> ${(l.generation = (l.generation ?? 0) + (rand() < 0.5 ? 1 : -1))}`,
            rehash,
          );
        }
        case 'drop':
          return rewrite((m) => `entry ${m.files.splice(m.files.indexOf(f), 1)[0]!.name} dropped`, rehash);
        case 'pageSize':
          return rewrite((m) => `pageSize ${m.pageSize} -> ${(m.pageSize = m.pageSize === 8192 ? 4096 : 8192)}`, rehash);
        case 'low':
          return rewrite((m) => `logGenerations.low -> ${(m.logGenerations!.low -= 1)}`, rehash);
        case 'high':
          return rewrite((m) => `logGenerations.high -> ${(m.logGenerations!.high += 1)}`, rehash);
        case 'role':
          return rewrite(() => `${f.name}.role ${f.role} -> ${(f.role = f.role === 'db' ? 'log' : 'db')}`, rehash);
      }
    }
  }
}

/** Corruptions: returns how many were detected. */
async function corruptionSoak(count: number, rand: () => number, root: string): Promise<number> {
  const engine = await createEmbeddedEngine({ directory: path.join(root, 'engine') });
  const set = path.join(root, 'set');
  try {
    const inst = await engine.createInstance('main', { logFileSize: 64 * 1024 });
    await engine.init(inst);
    const db = await engine.createDatabase(inst, 'test.edb');
    for (let i = 0; i < 120; i++) await db.put(keyOf(i), `${i}:`.padEnd(1500, 'abcdefghijklmnopqrstuvwxyz'));
    const coordinator = createCoordinator({ api: engine });
    const result = await runBackup({ coordinator, instance: inst, to: set, mode: 'full', verify: true });
    coordinator.dispose();
    if (result.outcome !== 'completed' || !result.verification?.ok)
      throw new Error(`the set to corrupt was not made: ${result.error?.message ?? result.outcome}`);
  } finally {
    await engine.close();
  }
  let detected = 0;
  for (let i = 0; i < count; i++) {
    const copy = path.join(root, `c-${i}`);
    fs.cpSync(set, copy, { recursive: true });
    const what = mutate(copy, rand);
    const report = await verifyBackupSet(copy).catch((e: unknown) => ({
      ok: false,
      problems: [{ message: `verify threw: ${(e as Error).message}` }],
    }));
    if (!report.ok) detected++;
    else console.log(`  not detected: ${what}`);
    fs.rmSync(copy, { recursive: true, force: true });
    if ((i + 1) % 250 === 0) console.log(`  ${i + 1}/${count} corruptions, ${detected} detected`);
  }
  return detected;
}

const kills = option('kills', 200);
const corruptions = option('corruptions', 1000);
const seed = option('seed', Date.now() % 1_000_000);
console.log(`soak seed ${seed} (replay: npm run soak -- --seed ${seed} --kills ${kills} --corruptions ${corruptions})`);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ese-backup-soak-'));
let ok = true;
try {
  if (kills > 0) {
    const { falseComplete, dataLost } = await killSoak(kills, random(seed), path.join(root, 'kills'));
    console.log(`kills ${kills}, false-complete sets ${falseComplete}, data lost ${dataLost}`);
    ok &&= falseComplete === 0 && dataLost === 0;
  }
  if (corruptions > 0) {
    const detected = await corruptionSoak(corruptions, random(seed + 1), path.join(root, 'corruptions'));
    console.log(`corruptions ${corruptions}, detected ${detected}`);
    ok &&= detected === corruptions;
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
