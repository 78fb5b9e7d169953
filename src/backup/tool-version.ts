import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { name: string; version: string } | undefined;

/**
 * The package's name and version, read from the nearest `package.json` above this module (from
 * `src/backup/` in the repository, from `dist/src/backup/` once built), for the manifest's `tool`.
 *
 * @example
 * toolVersion() // { name: 'ese-backup', version: '0.1.0' }
 */
export function toolVersion(): { name: string; version: string } {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'ese-backup' && typeof pkg.version === 'string') return (cached = { name: pkg.name, version: pkg.version });
    }
    const parent = path.dirname(dir);
    if (parent === dir) return (cached = { name: 'ese-backup', version: 'unknown' });
    dir = parent;
  }
}
