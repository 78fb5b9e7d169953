import fs from 'node:fs';
import { promisify } from 'node:util';
import { setHeaderChecksum, verifyHeaderChecksum } from './format/page-checksum.js';
import { Layout } from './engine-layout.js';

const fdatasync = promisify(fs.fdatasync);

/** What the checkpoint file (`edb.chk`) records for an instance. */
export interface Checkpoint {
  /** The oldest log generation recovery needs: every change in older logs is in the database files. */
  generation: number;
  logSignature: number;
  /** Copy-range end of the last full backup whose logs were truncated (0: none): the base for incrementals. */
  fullBackupBase: number;
}

/** ESE's checkpoint header keeps lgposCheckpoint's generation here (CHECKPOINT_FIXED.le_lgposCheckpoint). */
export const CHECKPOINT_GENERATION_OFFSET = 16;
const ext = { generation: Layout.offExt, logSignature: Layout.offExt + 4, fullBackupBase: Layout.offExt + 8 } as const;

/** Write the checkpoint file: a 4096-byte checksummed header and its copy, replaced atomically. */
export async function writeCheckpoint(file: string, c: Checkpoint): Promise<void> {
  const page = new Uint8Array(Layout.headerSize * 2);
  const head = page.subarray(0, Layout.headerSize);
  const v = new DataView(page.buffer);
  v.setInt32(CHECKPOINT_GENERATION_OFFSET, c.generation, true);
  v.setUint32(Layout.offFileType, Layout.fileType.checkpoint, true);
  v.setUint32(Layout.offMagic, Layout.magic, true);
  v.setUint32(ext.generation, c.generation, true);
  v.setUint32(ext.logSignature, c.logSignature, true);
  v.setUint32(ext.fullBackupBase, c.fullBackupBase, true);
  setHeaderChecksum(head);
  page.copyWithin(Layout.headerSize, 0, Layout.headerSize);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, page, 0, page.length, 0);
    await fdatasync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Read the checkpoint file; undefined when absent; throws when neither copy verifies. */
export function readCheckpoint(file: string): Checkpoint | undefined {
  if (!fs.existsSync(file)) return undefined;
  const bytes = fs.readFileSync(file);
  for (const off of [0, Layout.headerSize]) {
    const head = bytes.subarray(off, off + Layout.headerSize);
    if (head.length < Layout.headerSize || !verifyHeaderChecksum(head)) continue;
    const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
    if (v.getUint32(Layout.offMagic, true) !== Layout.magic) continue;
    return {
      generation: v.getUint32(ext.generation, true),
      logSignature: v.getUint32(ext.logSignature, true),
      fullBackupBase: v.getUint32(ext.fullBackupBase, true),
    };
  }
  throw new Error(`checkpoint file ${file} is corrupt`);
}
