import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedEngine, JET_bit, type EmbeddedEngine, type JetInstance } from '../index.js';

export interface DemoBackupOptions {
  /** Working directory (default: a new temporary one, removed afterwards). */
  dir?: string;
  /** Database size to write before the backup, in MiB (default 64). */
  sizeMiB?: number;
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
}

export interface DemoBackupResult {
  files: string[];
  bytes: number;
  committedBeforeLogInfo: number;
  restoredKeys: number;
  missing: number;
}

/** Stream one file through the backup API into `to`, two buffers in flight. */
async function copyFile(engine: EmbeddedEngine, inst: JetInstance, file: string, to: string): Promise<number> {
  const { handle, size } = await engine.openFile(inst, file);
  const out = await fsp.open(path.join(to, path.basename(file)), 'w');
  const buffers = [new Uint8Array(1 << 20), new Uint8Array(1 << 20)] as const;
  let position = 0;
  let writing: Promise<unknown> = Promise.resolve();
  for (let i = 0; ; i++) {
    const buffer = i & 1 ? buffers[1] : buffers[0];
    const n = await engine.readFile(inst, handle, buffer);
    await writing;
    if (n === 0) break;
    writing = out.write(buffer, 0, n, position);
    position += n;
  }
  await out.sync();
  await out.close();
  await engine.closeFile(inst, handle);
  if (BigInt(position) !== size) throw new Error(`${file}: streamed ${position} bytes, Open said ${size}`);
  return position;
}

/**
 * The main job until the CLI lands: an embedded instance with a database and a writer that keeps
 * committing, one full streaming backup of it, then a restore that is checked against every write
 * committed before the log phase began.
 */
export async function demoBackup(options: DemoBackupOptions = {}): Promise<DemoBackupResult> {
  const log = options.log ?? ((l: string) => console.log(l));
  const root = options.dir ? path.resolve(options.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'ese-backup-demo-'));
  const engine = await createEmbeddedEngine({ directory: path.join(root, 'engine') });
  try {
    const inst = await engine.createInstance('demo');
    await engine.init(inst);
    const db = await engine.createDatabase(inst, 'demo.edb');
    const value = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
    const keys = Math.ceil(((options.sizeMiB ?? 64) * 1024 * 1024) / value.length);
    for (let i = 0; i < keys; i += 16) await Promise.all(Array.from({ length: Math.min(16, keys - i) }, (_, j) => db.put(`row-${i + j}`, value)));
    log(`instance 'demo': ${db.size} rows, database ${(fs.statSync(db.path).size / 2 ** 20).toFixed(1)} MiB`);

    const committed = new Set<string>();
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await db.put(`live-${i}`, `written during the backup #${i}`);
        committed.add(`live-${i}`);
      }
    })();

    const to = path.join(root, 'backup');
    fs.mkdirSync(to, { recursive: true });
    let bytes = 0;
    const files: string[] = [];
    await engine.beginExternalBackup(inst);
    log('JetBeginExternalBackupInstance: full backup');
    for (const f of await engine.getAttachInfo(inst)) {
      bytes += await copyFile(engine, inst, f, to);
      files.push(path.join(to, path.basename(f)));
      log(`  database ${path.basename(f)} streamed and checksum-verified`);
    }
    const before = new Set(committed);
    const logs = await engine.getLogInfo2(inst);
    log(`JetGetLogInfoInstance2: generations ${logs.genLow}..${logs.genHigh} (the log rolled; ${before.size} live writes committed so far)`);
    for (const f of logs.files) {
      bytes += await copyFile(engine, inst, f, to);
      files.push(path.join(to, path.basename(f)));
    }
    await engine.endExternalBackup(inst, JET_bit.BackupEndNormal);
    log(`JetEndExternalBackupInstance2(Normal): engine recorded '${engine.lastBackup(inst)?.end}'; ${(bytes / 2 ** 20).toFixed(1)} MiB in ${files.length} files`);
    writing = false;
    await writer;

    const restored = await engine.restore(files, { directory: path.join(root, 'restored') });
    const r = restored.databases[0];
    let missing = 0;
    for (const k of before) if (!r?.get(k)) missing++;
    for (let i = 0; i < keys; i++) if (!r?.get(`row-${i}`)) missing++;
    log(`restore: ${r?.size ?? 0} rows replayed from generations ${restored.genLow}..${restored.genHigh}; ${missing} committed rows missing`);
    return { files, bytes, committedBeforeLogInfo: before.size, restoredKeys: r?.size ?? 0, missing };
  } finally {
    await engine.close();
    if (!options.dir) fs.rmSync(root, { recursive: true, force: true });
  }
}
