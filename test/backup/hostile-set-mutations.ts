import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MANIFEST_NAME, serializeBackupManifest, type BackupManifest } from '../../src/backup/index.js';
import { mkfifo } from './hostile-helpers.js';

/** A seeded random source (the same as the fixtures' `seeded`). */
export interface Random {
  below(n: number): number;
  u32(): number;
}

/**
 * What a mutation must do to verification: `detected` — verify fails with or without the key;
 * `keyed` — a deliberate, re-hashed edit of a field nothing else checks: only the keyed signature
 * shows it (verify without the key says ok, with it fails); `harmless` — by construction nothing a
 * restore reads changed (verify ok with and without the key).
 */
export type Expectation = 'detected' | 'keyed' | 'harmless';

/** One mutation: a name for the report, and what it does to a copy of a set. */
export interface Mutation {
  name: string;
  expect: Expectation;
  apply(set: string, r: Random, ctx: MutationContext): void;
}

/** What mutations may use beyond the set itself. */
export interface MutationContext {
  /** A database copy of another instance (streamed form, the same file name), to swap in. */
  foreignDb: { file: string; size: number; sha256: string; blake3: string };
  /** A log of another instance. */
  foreignLog: string;
}

const manifestPath = (set: string) => path.join(set, MANIFEST_NAME);
const readManifest = (set: string) => JSON.parse(fs.readFileSync(manifestPath(set), 'utf8')) as BackupManifest;
const writeRehashed = (set: string, m: BackupManifest) => fs.writeFileSync(manifestPath(set), serializeBackupManifest(m));
const pick = <T>(r: Random, items: readonly T[]): T => items[r.below(items.length)]!;
const dataFiles = (set: string) => readManifest(set).files.map((f) => f.name);
const someFile = (set: string, r: Random) => path.join(set, pick(r, dataFiles(set)));

/** A value of a wrong or hostile kind for a manifest field. */
function hostileValue(r: Random): unknown {
  return pick(r, [
    null,
    true,
    -1,
    0,
    1.5,
    2 ** 53,
    3e7,
    1e308,
    -0,
    '',
    'x'.repeat(100_000),
    [],
    {},
    [1, 2],
    { low: 1 },
    '../etc/passwd',
    'a/b',
    '\u0000',
    'manifest.json',
  ] as unknown[]);
}

/** Every field path a mutation may change, with whether a re-hashed change to it is caught without a key. */
const FIELDS: Array<{ path: (m: BackupManifest) => [Record<string, unknown>, string] | undefined; checked: boolean }> = [
  { path: (m) => [m as unknown as Record<string, unknown>, 'format'], checked: true },
  { path: (m) => [m as unknown as Record<string, unknown>, 'version'], checked: true },
  { path: (m) => [m as unknown as Record<string, unknown>, 'mode'], checked: true },
  { path: (m) => [m as unknown as Record<string, unknown>, 'pageSize'], checked: true },
  { path: (m) => [m as unknown as Record<string, unknown>, 'logGenerations'], checked: true },
  { path: (m) => [m as unknown as Record<string, unknown>, 'files'], checked: true },
  { path: (m) => (m.logGenerations ? [m.logGenerations as unknown as Record<string, unknown>, 'low'] : undefined), checked: true },
  { path: (m) => (m.logGenerations ? [m.logGenerations as unknown as Record<string, unknown>, 'high'] : undefined), checked: true },
];

/** The mutation catalogue. `hostile-set-fuzz.test.ts` applies them at random, by seed. */
export const MUTATIONS: Mutation[] = [
  // Bytes of data files.
  { name: 'flip a bit in a data file', expect: 'detected', apply: (set, r) => flip(someFile(set, r), r) },
  {
    name: 'flip bits in several data files',
    expect: 'detected',
    apply: (set, r) => {
      for (const n of new Set([0, 1, 2].map(() => pick(r, dataFiles(set))))) flip(path.join(set, n), r);
    },
  },
  { name: 'zero a 4 KiB block of a data file', expect: 'detected', apply: (set, r) => zeroBlock(someFile(set, r), r) },
  {
    name: 'truncate a data file',
    expect: 'detected',
    apply: (set, r) => {
      const f = someFile(set, r);
      fs.truncateSync(f, r.below(fs.statSync(f).size));
    },
  },
  {
    name: 'append bytes to a data file',
    expect: 'detected',
    apply: (set, r) => fs.appendFileSync(someFile(set, r), Buffer.alloc(1 + r.below(9000), r.below(256))),
  },
  { name: 'sparse-extend a data file to 8 GiB', expect: 'detected', apply: (set, r) => fs.truncateSync(someFile(set, r), 8 * 1024 ** 3) },
  { name: 'empty a data file', expect: 'detected', apply: (set, r) => fs.truncateSync(someFile(set, r), 0) },
  {
    name: 'copy one data file over another',
    expect: 'detected',
    apply: (set, r) => {
      const names = dataFiles(set);
      if (names.length < 2) return void fs.truncateSync(path.join(set, names[0]!), 4096);
      const a = r.below(names.length);
      const b = (a + 1 + r.below(names.length - 1)) % names.length;
      fs.copyFileSync(path.join(set, names[a]!), path.join(set, names[b]!));
    },
  },
  // Names and the directory.
  { name: 'remove a data file', expect: 'detected', apply: (set, r) => fs.rmSync(someFile(set, r)) },
  {
    name: 'rename a data file',
    expect: 'detected',
    apply: (set, r) => {
      const f = someFile(set, r);
      fs.renameSync(f, `${f}.renamed`);
    },
  },
  {
    name: 'add an unlisted file',
    expect: 'detected',
    apply: (set, r) => fs.writeFileSync(path.join(set, `extra-${r.below(1000)}.log`), 'x'),
  },
  {
    name: 'add a file whose name is not UTF-8',
    expect: 'detected',
    apply: (set, r) => fs.writeFileSync(Buffer.concat([Buffer.from(`${set}/`), Buffer.from([0xc3, 0x28, r.below(256) | 0x80])]), 'x'),
  },
  {
    name: 'add a file with a newline and escapes in its name',
    expect: 'detected',
    apply: (set) => fs.writeFileSync(path.join(set, 'a\nb\u001b[31m'), ''),
  },
  { name: 'add a 255-byte name', expect: 'detected', apply: (set) => fs.writeFileSync(path.join(set, 'n'.repeat(255)), '') },
  { name: 'remove manifest.json', expect: 'detected', apply: (set) => fs.rmSync(manifestPath(set)) },
  // File types.
  { name: 'a data file as a FIFO', expect: 'detected', apply: (set, r) => mkfifo(someFile(set, r)) },
  { name: 'manifest.json as a FIFO', expect: 'detected', apply: (set) => mkfifo(manifestPath(set)) },
  { name: 'a data file as a symlink to /dev/zero', expect: 'detected', apply: (set, r) => symlinkOver(someFile(set, r), '/dev/zero') },
  { name: 'manifest.json as a symlink to /dev/zero', expect: 'detected', apply: (set) => symlinkOver(manifestPath(set), '/dev/zero') },
  {
    name: 'a data file as a symlink to an identical copy',
    expect: 'detected',
    apply: (set, r) => {
      const f = someFile(set, r);
      fs.copyFileSync(f, `${path.dirname(set)}/${path.basename(set)}.copy`);
      symlinkOver(f, `${path.dirname(set)}/${path.basename(set)}.copy`);
    },
  },
  {
    name: 'a data file as a cyclic symlink',
    expect: 'detected',
    apply: (set, r) => {
      const f = someFile(set, r);
      symlinkOver(f, path.basename(f));
    },
  },
  { name: 'manifest.json as a cyclic symlink', expect: 'detected', apply: (set) => symlinkOver(manifestPath(set), MANIFEST_NAME) },
  {
    name: 'a data file as a directory',
    expect: 'detected',
    apply: (set, r) => {
      const f = someFile(set, r);
      fs.rmSync(f);
      fs.mkdirSync(f);
    },
  },
  {
    name: 'manifest.json as a directory',
    expect: 'detected',
    apply: (set) => {
      fs.rmSync(manifestPath(set));
      fs.mkdirSync(manifestPath(set));
    },
  },
  {
    name: 'a data file as a character device link (/dev/null)',
    expect: 'detected',
    apply: (set, r) => symlinkOver(someFile(set, r), '/dev/null'),
  },
  // JSON structure.
  {
    name: 'truncate manifest.json',
    expect: 'detected',
    apply: (set, r) => {
      const t = fs.readFileSync(manifestPath(set));
      fs.writeFileSync(manifestPath(set), t.subarray(0, r.below(t.length)));
    },
  },
  {
    name: 'garbage in manifest.json',
    expect: 'detected',
    apply: (set, r) => {
      const t = Buffer.from(fs.readFileSync(manifestPath(set)));
      for (let i = 0; i < 1 + r.below(8); i++) t[r.below(t.length)] = r.below(256);
      fs.writeFileSync(manifestPath(set), t);
    },
  },
  {
    name: 'manifest.json of another JSON type',
    expect: 'detected',
    apply: (set, r) => fs.writeFileSync(manifestPath(set), pick(r, ['null', '[]', '"set"', '42', 'true', '{}', '{"manifestSha256": 1}'])),
  },
  {
    name: 'deeply nested manifest.json',
    expect: 'detected',
    apply: (set) => fs.writeFileSync(manifestPath(set), `${'['.repeat(200_000)}${']'.repeat(200_000)}`),
  },
  {
    name: 'manifest.json reordered (same fields)',
    expect: 'detected',
    apply: (set) => {
      const m = readManifest(set) as unknown as Record<string, unknown>;
      fs.writeFileSync(manifestPath(set), `${JSON.stringify(Object.fromEntries(Object.entries(m).reverse()), null, 2)}\n`);
    },
  },
  {
    name: 'manifest.json with a duplicate key',
    expect: 'detected',
    apply: (set) => {
      const t = fs.readFileSync(manifestPath(set), 'utf8');
      fs.writeFileSync(manifestPath(set), t.replace('{\n', '{\n  "mode": "incremental",\n'));
    },
  },
  {
    name: 'manifest.json as 17 MiB of spaces',
    expect: 'detected',
    apply: (set) => fs.writeFileSync(manifestPath(set), Buffer.alloc(17 * 1024 * 1024, 0x20)),
  },
  // Fields, checksum left stale (an accidental edit).
  {
    name: 'a field changed, checksum stale',
    expect: 'detected',
    apply: (set, r) => {
      const m = readManifest(set);
      setField(m, r);
      fs.writeFileSync(manifestPath(set), `${JSON.stringify(m, null, 2)}\n`);
    },
  },
  {
    name: "the manifest's own checksum changed",
    expect: 'detected',
    apply: (set, r) => {
      const m = readManifest(set);
      m.manifestSha256 = m.manifestSha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      void r;
      fs.writeFileSync(manifestPath(set), `${JSON.stringify(m, null, 2)}\n`);
    },
  },
  // Fields changed and re-hashed (a deliberate edit): caught by the other checks…
  {
    name: 'a checked field changed, re-hashed',
    expect: 'detected',
    apply: (set, r) => {
      const m = readManifest(set);
      setField(m, r);
      writeRehashed(set, m);
    },
  },
  {
    name: "a file entry's size/digest/generation/role changed, re-hashed",
    expect: 'detected',
    apply: (set, r) => {
      const m = readManifest(set);
      const f = pick(r, m.files) as unknown as Record<string, unknown>;
      // The digest field is the manifest's algorithm's (blake3, or sha256 in a version 1 set).
      const key = pick(r, ['size', m.digest ?? 'sha256', 'generation', 'role', 'name']);
      f[key] =
        key === 'sha256' || key === 'blake3'
          ? 'ab'.repeat(32)
          : key === 'size'
            ? (f.size as number) + 1 + r.below(5)
            : key === 'generation'
              ? ((f.generation as number | undefined) ?? 0) + 1000
              : key === 'role'
                ? f.role === 'db'
                  ? 'log'
                  : 'db'
                : `${f.name as string}x`;
      writeRehashed(set, m);
    },
  },
  {
    name: 'logGenerations widened to 2^53 / 3e7 / 2^31, re-hashed',
    expect: 'detected',
    apply: (set, r) => {
      const m = readManifest(set);
      m.logGenerations = { low: 1, high: pick(r, [2 ** 53, 3e7, 2 ** 31 - 1, (m.logGenerations?.high ?? 1) + 1]) };
      writeRehashed(set, m);
    },
  },
  {
    name: 'logs removed from the manifest and the set, range kept, re-hashed',
    expect: 'detected',
    apply: (set) => {
      const m = readManifest(set);
      for (const f of m.files.filter((x) => x.role === 'log')) fs.rmSync(path.join(set, f.name));
      m.files = m.files.filter((x) => x.role !== 'log');
      writeRehashed(set, m);
    },
  },
  {
    name: 'thousands of bogus entries, re-hashed',
    expect: 'detected',
    apply: (set, r) => {
      const m = readManifest(set);
      for (let i = 0; i < 3000 + r.below(3000); i++)
        m.files.push({
          name: `bogus-${i}`,
          role: 'log',
          size: 2 ** 40,
          [m.digest ?? 'sha256']: '0'.repeat(64),
          source: '',
          generation: 1 + r.below(2 ** 31 - 1),
        });
      writeRehashed(set, m);
    },
  },
  {
    name: "a database swapped for another instance's, re-hashed",
    expect: 'detected',
    apply: (set, _r, ctx) => {
      const m = readManifest(set);
      const db = m.files.find((f) => f.role === 'db');
      if (!db) return void swapForeignLog(set, m, ctx);
      fs.copyFileSync(ctx.foreignDb.file, path.join(set, db.name));
      const key = m.digest ?? 'sha256';
      Object.assign(db, { size: ctx.foreignDb.size, [key]: ctx.foreignDb[key] });
      writeRehashed(set, m);
    },
  },
  {
    name: "a log swapped for another instance's (same name), re-hashed",
    expect: 'detected',
    apply: (set, _r, ctx) => swapForeignLog(set, readManifest(set), ctx),
  },
  // …or only by the keyed signature (nothing else reads these fields).
  {
    name: 'an informational field changed, re-hashed',
    expect: 'keyed',
    apply: (set, r) => {
      const m = readManifest(set);
      const key = pick(r, ['source', 'instance', 'startTime', 'endTime', 'tool']);
      if (key === 'source') m.files[r.below(m.files.length)]!.source = 'C:\\elsewhere\\x.edb';
      else if (key === 'instance') m.instance = { ...m.instance, name: 'someone else' };
      else if (key === 'tool') m.tool = { ...m.tool, version: '99.0.0' };
      else m[key as 'startTime' | 'endTime'] = new Date(Date.UTC(2001, 0, 1 + r.below(300))).toISOString();
      writeRehashed(set, m);
    },
  },
  { name: 'manifest.sig removed', expect: 'keyed', apply: (set) => fs.rmSync(path.join(set, 'manifest.sig')) },
  {
    name: 'manifest.sig altered',
    expect: 'keyed',
    apply: (set, r) => {
      const f = path.join(set, 'manifest.sig');
      const t = fs.readFileSync(f, 'utf8');
      const i = 12 + r.below(64);
      fs.writeFileSync(f, `${t.slice(0, i)}${t[i] === 'a' ? 'b' : 'a'}${t.slice(i + 1)}`);
    },
  },
  // Harmless by construction: nothing a reader uses changes.
  {
    name: 'mtimes changed',
    expect: 'harmless',
    apply: (set, r) => {
      const when = new Date(Date.UTC(2000, 0, 1 + r.below(9000)));
      for (const n of fs.readdirSync(set)) fs.utimesSync(path.join(set, n), when, when);
    },
  },
  {
    name: 'a data file replaced by a hard link to an identical copy',
    expect: 'harmless',
    apply: (set, r) => {
      const f = someFile(set, r);
      const copy = `${path.dirname(set)}/${path.basename(set)}.hard-${r.below(1e6)}`;
      fs.copyFileSync(f, copy);
      fs.rmSync(f);
      fs.linkSync(copy, f);
    },
  },
  {
    name: 'a data file rewritten with the same bytes',
    expect: 'harmless',
    apply: (set, r) => {
      const f = someFile(set, r);
      fs.writeFileSync(f, fs.readFileSync(f));
    },
  },
];

function flip(file: string, r: Random): void {
  const size = fs.statSync(file).size;
  if (size === 0) return void fs.writeFileSync(file, 'x');
  const fd = fs.openSync(file, 'r+');
  try {
    const at = r.below(size);
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0]! ^= 1 << r.below(8);
    fs.writeSync(fd, b, 0, 1, at);
  } finally {
    fs.closeSync(fd);
  }
}

function zeroBlock(file: string, r: Random): void {
  const blocks = Math.max(1, Math.floor(fs.statSync(file).size / 4096));
  const fd = fs.openSync(file, 'r+');
  try {
    const at = r.below(blocks) * 4096;
    const before = Buffer.alloc(4096);
    fs.readSync(fd, before, 0, 4096, at);
    // A block that is already zero would change nothing: flip a byte in it instead.
    if (before.every((x) => x === 0)) before[r.below(4096)] = 1;
    else before.fill(0);
    fs.writeSync(fd, before, 0, 4096, at);
  } finally {
    fs.closeSync(fd);
  }
}

function symlinkOver(file: string, target: string): void {
  fs.rmSync(file, { force: true, recursive: true });
  fs.symlinkSync(target, file);
}

function setField(m: BackupManifest, r: Random): void {
  for (;;) {
    const where = pick(r, FIELDS).path(m);
    if (!where) continue;
    const [obj, key] = where;
    const before = JSON.stringify(obj[key]);
    obj[key] = hostileValue(r);
    if (JSON.stringify(obj[key]) !== before) return;
  }
}

function swapForeignLog(set: string, m: BackupManifest, ctx: MutationContext): void {
  const log = m.files.find((f) => f.role === 'log')!;
  const bytes = fs.readFileSync(ctx.foreignLog);
  fs.writeFileSync(path.join(set, log.name), bytes);
  // Its own generation and hash, as someone making the swap look right would write them.
  log.size = bytes.length;
  log.sha256 = createHash('sha256').update(bytes).digest('hex');
  log.generation = bytes.readInt32LE(4);
  const gens = m.files.filter((f) => f.role === 'log').map((f) => f.generation!);
  m.logGenerations = { low: Math.min(...gens), high: Math.max(...gens) };
  writeRehashed(set, m);
}
