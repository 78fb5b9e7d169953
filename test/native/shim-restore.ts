import fs from 'node:fs';
import nodePath from 'node:path';
import type { EmbeddedDatabase, EmbeddedEngine } from '../../src/engine/index.js';
import { JET_err } from '../../src/jet/index.js';
import type { ShimCall, ShimResult } from './esent-shim-host.js';
import type { shimParams } from './shim-params.js';

/**
 * The shim's JetExternalRestore2W over the embedded engine's restore. esent-shim-instance.c packs the
 * string arguments into `text`, each followed by U+0001 (checkpoint path, log path, backup log path, target
 * instance name, target log path, target checkpoint path, base name, then old/new database pairs);
 * genLow/genHigh arrive as grbit/cb.
 *
 * As ESE: the databases must already lie at their new paths; the logs genLow..genHigh are read from the
 * backup log path. Unlike ESE, the engine keeps its own layout: it replays into the log path (which must be
 * empty or absent) with copies of the databases there, and a later JetInit whose JET_paramLogFilePath is
 * that directory adopts the restored instance. A target instance (restore into a running one) is refused.
 */
export async function externalRestore(
  engine: EmbeddedEngine,
  params: ReturnType<typeof shimParams>,
  c: ShimCall,
  remember: (db: EmbeddedDatabase) => void,
): Promise<ShimResult> {
  const fields = (c.text ?? '').split('\u0001');
  const [, logPath, backupLogPath, targetName, , , baseName] = fields;
  const pairs = fields.slice(7, -1);
  if (!logPath || !backupLogPath || targetName || pairs.length % 2 !== 0) return { err: JET_err.InvalidParameter };
  const databases = pairs.filter((_, i) => i % 2 === 1);
  const pattern = new RegExp(`^${(baseName ?? '').replace(/[^A-Za-z0-9]/g, '')}([0-9A-F]{5}|[0-9A-F]{8})\\.log$`, 'i');
  const logs = fs
    .readdirSync(backupLogPath)
    .map((name) => ({ name, gen: Number.parseInt(pattern.exec(name)?.[1] ?? '', 16) }))
    .filter((l) => l.gen >= c.grbit && l.gen <= c.cb)
    .sort((a, b) => a.gen - b.gen)
    .map((l) => nodePath.join(backupLogPath, l.name));
  const restored = await engine.restore([...databases, ...logs], { directory: logPath });
  params.adoptRestored(logPath, restored.instance);
  restored.databases.forEach(remember);
  return { err: 0 };
}
