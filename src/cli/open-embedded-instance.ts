import fs from 'node:fs';
import path from 'node:path';
import { verifyEseFile } from '../backup/index.js';
import {
  createEmbeddedEngine,
  INSTANCE_LOCK_FILE,
  readInstanceLockHolder,
  type EmbeddedEngine,
  type InstanceOptions,
  type PageSize,
} from '../engine/index.js';
import { isJetError, JET_err, JetError } from '../jet/index.js';
import type { OpenedInstance } from './engine-spec.js';
import { UsageError } from './usage-error.js';

/** The instance's configuration as its files tell it: the base name from `<base>.chk`, page and log size from the newest log's header. */
function configOf(dir: string): InstanceOptions {
  const names = fs.readdirSync(dir);
  const chk = names.find((n) => /^[A-Za-z0-9]{3}\.chk$/.test(n));
  if (!chk) throw new UsageError(`${dir} is not an embedded instance: it has no checkpoint file (<base>.chk)`);
  const baseName = chk.slice(0, 3);
  return { baseName };
}

async function logHeaderOf(dir: string, baseName: string): Promise<Pick<InstanceOptions, 'pageSize' | 'logFileSize'>> {
  const rolled = fs
    .readdirSync(dir)
    .filter((n) => new RegExp(`^${baseName}[0-9A-Fa-f]{5,8}\\.log$`).test(n))
    .sort();
  const newest = fs.existsSync(path.join(dir, `${baseName}.log`)) ? `${baseName}.log` : rolled.at(-1);
  if (!newest) return {};
  const h = (await verifyEseFile(path.join(dir, newest))).header;
  if (h?.fileType !== 'log' || !h.checksumOk) return {};
  return { pageSize: h.pageSize as PageSize, logFileSize: h.fileSectors * h.sectorSize };
}

/**
 * Opens the embedded instance `DIR/NAME` left by an earlier run (`ese-backup demo --dir DIR` makes
 * `DIR/demo`): creates the instance with that name and the configuration its files tell (base name,
 * page size, log file size), then JetInit, which recovers it from its checkpoint and logs and
 * re-attaches its databases.
 *
 * ESE rule: JetInit with logging on replays every log from the checkpoint generation (-528 when one is missing).
 *
 * @returns the opened instance, with the engine itself (its data calls) as `engine`.
 * @throws UsageError when `DIR/NAME` is not an embedded instance; JetError -1032 (another process) or
 * -1083 (this process) naming the holder when the instance is open elsewhere; JetError from recovery.
 * @example
 * const { api, instance, close } = await openEmbeddedInstance('/data/ese', 'demo');
 */
export async function openEmbeddedInstance(directory: string, name: string): Promise<OpenedInstance & { engine: EmbeddedEngine }> {
  const dir = path.join(directory, name);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`no embedded instance at ${dir}: run "ese-backup demo --dir ${directory}" first, or name another --instance`);
  }
  const config = configOf(dir);
  const options = { ...config, ...(await logHeaderOf(dir, config.baseName!)) };
  const engine = await createEmbeddedEngine({ directory });
  try {
    const instance = await engine.createInstance(name, options);
    await engine.init(instance);
    return {
      api: engine,
      engine,
      instance,
      name,
      description: `embedded:${dir}`,
      facts: { recovery: true, circularLogging: false, ...(options.pageSize ? { pageSize: options.pageSize } : {}) },
      close: () => engine.close(),
    };
  } catch (e) {
    await engine.close();
    if (isJetError(e, JET_err.FileAccessDenied) || isJetError(e, JET_err.SystemPathInUse)) {
      // The instance lock: someone else owns this instance. Say so plainly; the code stays ESE's.
      const holder = readInstanceLockHolder(path.join(dir, INSTANCE_LOCK_FILE));
      const who = holder ? `process ${holder.pid} on ${holder.hostname} (open since ${holder.since})` : 'another process';
      throw new JetError(e.api, e.err, {
        file: dir,
        detail: `embedded:${dir} is open in ${who}; nothing was done to it. Wait for that process to end (its lock goes with it), then retry`,
        cause: e,
      });
    }
    throw e;
  }
}
