import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prerequisite } from '../support/prerequisite.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sources = [
  'esent-shim.c',
  'esent-shim.h',
  'esent-shim-file-trampoline.c',
  'esent-shim-file-pread.c',
  'esent-shim-instance.c',
  'esent-shim-table.c',
].map((f) => path.join(here, f));
/** Where the shim is built (git-ignored). */
export const shimBuildDirectory = path.join(here, 'build');

/**
 * Why the native tests cannot run here, or undefined when a C compiler (`$CC`, else `cc`) answers.
 * In CI (ESE_BACKUP_REQUIRE_ALL=1 or CI=true) a missing compiler throws instead: the asking test file fails.
 */
export function compilerMissing(): string | undefined {
  const cc = process.env.CC ?? 'cc';
  try {
    execFileSync(cc, ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return prerequisite(
      `no C compiler: \`${cc} --version\` failed, so the esent shim (test/native) cannot be built; install one (apt-get install gcc libc6-dev) or set CC`,
    );
  }
}

/**
 * Compile the esent shim (test/native/esent-shim.c) into `test/native/build/` unless it is up to date,
 * and return its path. Safe to call from several test processes at once: each compiles to its own file
 * and renames it into place. `variant` adds `-D<variant>` (e.g. `SHIM_OMIT_STOP_SERVICE` drops an export,
 * `SHIM_CALL_STACK_KIB=512` makes every Jet* call use 512 KiB of stack, `SHIM_FILE_READ_PREAD` reads backup
 * files with pread in C instead of through the host: esent-shim-file-pread.c).
 *
 * @throws Error with the compiler's output when the build fails
 */
export function buildEsentShim(variant?: string): string {
  const name = `libesent-shim${variant ? `-${variant.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` : ''}.so`;
  const out = path.join(shimBuildDirectory, name);
  const newest = Math.max(...sources.map((s) => fs.statSync(s).mtimeMs));
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= newest) return out;
  fs.mkdirSync(shimBuildDirectory, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const args = [
    '-shared',
    '-fPIC',
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-fvisibility=hidden',
    '-pthread',
    ...(variant ? [`-D${variant}`] : []),
    '-o',
    tmp,
    sources[0]!,
  ];
  try {
    execFileSync(process.env.CC ?? 'cc', args, { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`building the esent shim failed: ${err.stderr?.toString() || err.message}`, { cause: e });
  }
  fs.renameSync(tmp, out);
  return out;
}
