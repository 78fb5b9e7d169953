import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/**
 * The directory of real ESE files written by Windows (`shared/fixtures/ese-real`). Found by walking up
 * from this file, so it works in /work/main next to /work/shared and in a CI clone next to a `shared/`
 * copy; `ESE_REAL_FIXTURES` overrides it.
 */
export function eseRealDir(): string {
  const override = process.env.ESE_REAL_FIXTURES;
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'shared', 'fixtures', 'ese-real');
    if (existsSync(candidate)) return candidate;
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error('shared/fixtures/ese-real not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The files of the fixture directory (README excluded). */
export function eseRealFiles(): string[] {
  return readdirSync(eseRealDir())
    .filter((name) => name !== 'README.md')
    .sort();
}

/** The bytes of one fixture, gunzipped when its name ends in `.gz`. */
export function readEseReal(name: string): Uint8Array {
  const raw = readFileSync(join(eseRealDir(), name));
  const bytes = name.endsWith('.gz') ? gunzipSync(raw) : raw;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A copy of `bytes` starting at a byteOffset that is not a multiple of 4. */
export function misaligned(bytes: Uint8Array, shift = 1): Uint8Array {
  const backing = new Uint8Array(bytes.length + shift);
  backing.set(bytes, shift);
  return backing.subarray(shift);
}

/** A small seeded PRNG (mulberry32), so random tests repeat exactly. */
export function seeded(seed: number): { u32(): number; below(n: number): number; fill(bytes: Uint8Array): Uint8Array } {
  let state = seed >>> 0;
  const u32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    u32,
    below: (n) => Math.floor((u32() / 2 ** 32) * n),
    fill(bytes) {
      for (let i = 0; i < bytes.length; i++) bytes[i] = u32() & 0xff;
      return bytes;
    },
  };
}

/** The fixtures' README table: name, page size, state, data pages with content; all of them verify. */
export const goodDatabases = [
  ['museum_win10_rathbunvm_clean_SRUDB.dat', 4096, 3, 104],
  ['museum_win11_rathbunvm_dirty_SRUDB.dat', 4096, 2, 482],
  ['museum_w2012r2_ual_Current.mdb', 4096, 2, 89],
  ['goese_qmgr.db', 16384, 2, 43],
  ['museum_win10_search_clean_Windows.edb.gz', 32768, 3, 211],
] as const;
