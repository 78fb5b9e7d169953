import fs from 'node:fs';
import nodePath from 'node:path';
import { JET_err } from '../jet/index.js';
import type { EngineFault } from './embedded-engine-api.js';
import type { EmbeddedInstance } from './embedded-instance.js';
import { pageHeaderSize } from './engine-layout.js';
import { nodeInstanceLockWrites, type InstanceLockWrites } from './instance-lock.js';

const readFaults = new WeakMap<EmbeddedInstance, Array<{ file?: string; err: number }>>();

/** The error an injected read fault makes the next read of `file` answer, consumed once. */
export function takeReadFault(inst: EmbeddedInstance, file: string): number | undefined {
  const faults = readFaults.get(inst);
  const i = faults?.findIndex((f) => f.file === undefined || f.file === file) ?? -1;
  if (!faults || i < 0) return undefined;
  const [fault] = faults.splice(i, 1);
  return fault?.err;
}

const truncateFaults = new WeakMap<EmbeddedInstance, { after: number; err: number }>();

/** The injected part-way failure of the next TruncateLog, consumed once. */
export function takeTruncateFault(inst: EmbeddedInstance): { after: number; err: number } | undefined {
  const fault = truncateFaults.get(inst);
  truncateFaults.delete(inst);
  return fault;
}

const lockWriteFaults = new WeakMap<EmbeddedInstance, { call: 'ftruncate' | 'write'; code: 'ENOSPC' | 'EIO' }>();

/**
 * How the next lock of this instance's directory writes its holder: node:fs, or (once, after an
 * `instanceLockWrite` fault) node:fs with the planned call failing before it reaches the file.
 */
export function takeInstanceLockWrites(inst: EmbeddedInstance): InstanceLockWrites {
  const fault = lockWriteFaults.get(inst);
  if (!fault) return nodeInstanceLockWrites;
  lockWriteFaults.delete(inst);
  const fail = (syscall: string): never => {
    const e: NodeJS.ErrnoException = new Error(`${fault.code}: injected fault, ${syscall}`);
    e.code = fault.code;
    e.syscall = syscall;
    throw e;
  };
  return {
    ftruncate: (fd, length) => (fault.call === 'ftruncate' ? fail('ftruncate') : nodeInstanceLockWrites.ftruncate(fd, length)),
    write: (fd, buffer, offset, length, position) =>
      fault.call === 'write' ? fail('write') : nodeInstanceLockWrites.write(fd, buffer, offset, length, position),
  };
}

/** Flip one byte of a real file. */
function flipByte(file: string, position: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, position);
    b[0] = (b[0] as number) ^ 0x5a;
    fs.writeSync(fd, b, 0, 1, position);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Damage real files (or arm the read path) for a test. A corrupt page is flushed first so that it is on
 * disk; the flipped byte lies in the page's record area, so only that page's checksum fails.
 */
export async function injectFault(inst: EmbeddedInstance, fault: EngineFault): Promise<void> {
  switch (fault.kind) {
    case 'corruptPage': {
      const file = nodePath.resolve(inst.directory, fault.database);
      const db = [...inst.databases.values()].find((d) => d.path === file);
      if (!db) throw new RangeError(`corruptPage: ${file} is not attached to instance ${inst.name}`);
      await db.flush();
      if (!Number.isInteger(fault.pgno) || fault.pgno < 1 || fault.pgno > db.pagesOnDisk) {
        throw new RangeError(`corruptPage: pgno must be 1..${db.pagesOnDisk}, got ${fault.pgno}`);
      }
      flipByte(file, (fault.pgno + 1) * db.pageSize + pageHeaderSize(db.pageSize) + 1);
      return;
    }
    case 'corruptLog':
    case 'missingLog': {
      const file = inst.logPath(fault.generation);
      if (!inst.logGenerations().includes(fault.generation) || (inst.log && fault.generation === inst.log.generation)) {
        throw new RangeError(`${fault.kind}: generation ${fault.generation} is not a rolled log of instance ${inst.name}`);
      }
      if (fault.kind === 'missingLog') fs.rmSync(file);
      else flipByte(file, 100); // inside the checksummed 4096-byte header
      return;
    }
    case 'readError': {
      const list = readFaults.get(inst) ?? [];
      list.push({ ...(fault.file ? { file: nodePath.resolve(fault.file) } : {}), err: fault.err ?? JET_err.DiskIO });
      readFaults.set(inst, list);
      return;
    }
    case 'truncateError': {
      if (!Number.isSafeInteger(fault.after) || fault.after < 0)
        throw new RangeError(`truncateError: after must be a count of logs >= 0, got ${String(fault.after)}`);
      truncateFaults.set(inst, { after: fault.after, err: fault.err ?? JET_err.DiskIO });
      return;
    }
    case 'instanceLockWrite': {
      if (inst.state !== 'created') throw new RangeError('instanceLockWrite: the instance must be created and not yet initialized');
      if (!['ftruncate', 'write'].includes(fault.call) || !['ENOSPC', 'EIO'].includes(fault.code))
        throw new RangeError(`instanceLockWrite: call must be 'ftruncate' or 'write', code 'ENOSPC' or 'EIO'`);
      lockWriteFaults.set(inst, { call: fault.call, code: fault.code });
      return;
    }
    default:
      throw new RangeError(`unknown fault ${(fault as { kind: string }).kind}`);
  }
}
