import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JET_err, JetError } from '../jet/index.js';
// koffi loads on the first lock (so the package root imports anywhere), configured for ESE's stack
// needs: the esent.dll binding may load after the lock, and koffi fixes its stacks at its first load.
import { loadKoffi } from '../ffi/load-koffi.js';

/** The lock file an open embedded instance holds in its directory (removed when the lock is released). */
export const INSTANCE_LOCK_FILE = 'ese-backup-instance.lock';

/** Who holds an instance directory, as the holder wrote it into the lock file once the lock was taken. */
export interface InstanceLockHolder {
  pid: number;
  hostname: string;
  /** ISO 8601 time the lock was taken. */
  since: string;
}

/** An exclusive lock on an instance directory; the kernel drops it when the process dies. */
export interface InstanceLock {
  readonly file: string;
  readonly holder: InstanceLockHolder;
  /** Remove the lock file and drop the lock. Idempotent. */
  release(): void;
}

/**
 * The writes that fill a taken lock file with its holder's name: node:fs by default; the engine's fault
 * injection (`injectFault` `instanceLockWrite`) passes a wrapper that fails one, as a full or failing
 * disk would.
 */
export interface InstanceLockWrites {
  ftruncate(fd: number, length: number): void;
  /** Positioned write; returns the bytes written (may be fewer than asked). */
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
}

/** {@link InstanceLockWrites} as node:fs does them. */
export const nodeInstanceLockWrites: InstanceLockWrites = {
  ftruncate: (fd, length) => fs.ftruncateSync(fd, length),
  write: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
};

/**
 * The JET error for a file-system error on the lock file: a full disk (ENOSPC, EDQUOT) is
 * JET_errDiskFull -1808, anything else JET_errDiskIO -1022, as ESE's file layer maps them.
 */
function diskError(api: string, file: string, what: string, e: unknown): JetError {
  const code = (e as NodeJS.ErrnoException).code;
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  return new JetError(api, full ? JET_err.DiskFull : JET_err.DiskIO, {
    file,
    detail: `${what} (${(e as Error).message}): the instance was not opened and nothing was changed; ${full ? 'free some space' : 'check the disk'} and retry`,
    cause: e,
  });
}

type Locker = (fd: number) => 'locked' | 'held';

let locker: Locker | undefined;

/**
 * The platform's exclusive, non-blocking lock on an open file. POSIX: flock(LOCK_EX | LOCK_NB) on the
 * descriptor (libc is in the process: koffi.load(null)). flock locks belong to the open file
 * description, so a second open() of the same file in this process conflicts too, and the kernel drops
 * them when the process dies. Windows: LockFileEx(EXCLUSIVE | FAIL_IMMEDIATELY) of one byte at offset
 * 2^32 (beyond the holder text, which stays readable) on libuv's handle of the descriptor; Windows drops
 * it when the handle closes or the process dies. The Windows path is written from the Win32
 * documentation and has not been run: no Windows machine ran these tests.
 */
function platformLocker(): Locker {
  if (locker) return locker;
  let koffi: typeof import('koffi');
  try {
    koffi = loadKoffi();
  } catch (e) {
    throw new Error(
      `cannot lock embedded instance directories on ${process.platform}/${process.arch}: koffi (the FFI used to call flock/LockFileEx) does not load: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (process.platform === 'win32') {
    const node = koffi.load(null);
    const kernel32 = koffi.load('kernel32.dll');
    const getHandle = node.func('void *uv_get_osfhandle(int fd)');
    koffi.struct('ESE_BACKUP_LOCK_OVERLAPPED', {
      Internal: 'uintptr_t',
      InternalHigh: 'uintptr_t',
      Offset: 'uint32_t',
      OffsetHigh: 'uint32_t',
      hEvent: 'void *',
    });
    const lockFileEx = kernel32.func(
      'int __stdcall LockFileEx(void *hFile, uint32_t flags, uint32_t reserved, uint32_t lowBytes, uint32_t highBytes, _Inout_ ESE_BACKUP_LOCK_OVERLAPPED *ov)',
    );
    const LOCKFILE_FAIL_IMMEDIATELY = 0x1;
    const LOCKFILE_EXCLUSIVE_LOCK = 0x2;
    // Without GetLastError (koffi does not keep it), a refusal reads as "held": the error names the holder the file tells.
    locker = (fd) =>
      lockFileEx(getHandle(fd), LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, {
        Internal: 0,
        InternalHigh: 0,
        Offset: 0,
        OffsetHigh: 1,
        hEvent: null,
      }) !== 0
        ? 'locked'
        : 'held';
    return locker;
  }
  const libc = koffi.load(null);
  const flock = libc.func('int flock(int fd, int operation)');
  const LOCK_EX = 2;
  const LOCK_NB = 4;
  const wouldBlock = new Set([koffi.os.errno.EWOULDBLOCK, koffi.os.errno.EAGAIN].filter((n) => n !== undefined));
  locker = (fd) => {
    for (;;) {
      if (flock(fd, LOCK_EX | LOCK_NB) === 0) return 'locked';
      const errno = koffi.errno();
      if (errno === koffi.os.errno.EINTR) continue;
      if (wouldBlock.has(errno)) return 'held';
      throw new Error(`flock(LOCK_EX | LOCK_NB) failed with errno ${errno}: this file system may not support locks`);
    }
  };
  return locker;
}

/** The holder a lock file names; `undefined` while it is being written or when it is not ours. */
export function readInstanceLockHolder(file: string): InstanceLockHolder | undefined {
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      const buf = Buffer.alloc(4096);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      return parseInstanceLockHolder(buf.subarray(0, n).toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** The holder a lock file's text names; `undefined` when it is partial or not ours. */
export function parseInstanceLockHolder(text: string): InstanceLockHolder | undefined {
  try {
    const h = JSON.parse(text) as InstanceLockHolder;
    return Number.isSafeInteger(h.pid) && typeof h.hostname === 'string' && typeof h.since === 'string'
      ? { pid: h.pid, hostname: h.hostname, since: h.since }
      : undefined;
  } catch {
    return undefined;
  }
}

const sameFile = (a: fs.Stats, b: fs.Stats) => a.dev === b.dev && a.ino === b.ino;

/**
 * Takes the exclusive lock on an embedded instance directory, as ESE holds its checkpoint and log
 * files exclusively while an instance runs: `<directory>/ese-backup-instance.lock`, locked with the
 * OS (released by the kernel when the process dies, whatever the file says), then filled with this
 * process's pid, host name and the time, so that the next opener can name the holder.
 *
 * Error codes, as ESE answers a second JetInit on the same files:
 * - held by this process (another instance or another engine object): JET_errSystemPathInUse -1083,
 *   what ESE's ErrCheckUniquePath answers at JetInit when another instance of the process uses the same
 *   system path (ESE checks the system path before the log path, -1084; here both are the directory);
 * - held by another process: JET_errFileAccessDenied -1032, what ESE's file layer makes of the
 *   sharing violation when it opens a checkpoint or log file that another process holds.
 *
 * The directory must exist. A file left by a killed holder is not a lock: the kernel dropped its lock,
 * so the next opener takes it.
 *
 * A failure to create the lock file or to write the holder into it (a full disk, an I/O error) fails
 * with JET_errDiskFull -1808 or JET_errDiskIO -1022 naming the file; the lock is dropped and the file
 * is removed first (while still locked, as `release` does; if even that fails, an empty or partial
 * file stays, which names no holder and locks nothing), so the directory can be opened once the disk
 * is fixed.
 *
 * @param api the JET call the lock is taken for (`JetInit`, `JetRestoreInstance`), for the error.
 * @param writes how the holder is written (default node:fs; a fault-injecting wrapper in tests).
 * @throws JetError -1032 or -1083 naming the holder, -1808 or -1022 for a disk that cannot take the
 *   lock file; Error when the platform cannot lock.
 * @example
 * const lock = lockInstanceDirectory('/data/ese/main', 'JetInit'); try { … } finally { lock.release() }
 */
export function lockInstanceDirectory(directory: string, api: string, writes: InstanceLockWrites = nodeInstanceLockWrites): InstanceLock {
  const lockFn = platformLocker();
  const file = path.join(directory, INSTANCE_LOCK_FILE);
  // A holder removes the file before it drops the lock: the loser of that race locked a file that no
  // longer has the name, and tries again on the new file.
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0), 0o644);
    } catch (e) {
      // Another user's lock file (or a read-only directory): this process cannot take the lock.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
        throw new JetError(api, JET_err.FileAccessDenied, {
          file,
          detail: `cannot open the instance lock file (${code}): ${describeHolder(file)}`,
          cause: e,
        });
      if (code === 'ELOOP')
        throw new JetError(api, JET_err.FileAccessDenied, { file, detail: 'the instance lock file is a symbolic link: refused', cause: e });
      throw diskError(api, file, 'cannot create the instance lock file', e);
    }
    let keep = false;
    try {
      if (lockFn(fd) === 'held') throw heldError(file, api);
      let current: fs.Stats | undefined;
      try {
        current = fs.statSync(file);
      } catch {
        current = undefined;
      }
      if (!current || !sameFile(current, fs.fstatSync(fd))) {
        if (attempt < 100) continue;
        throw new JetError(api, JET_err.FileAccessDenied, { file, detail: 'the instance lock file keeps being replaced' });
      }
      const holder: InstanceLockHolder = { pid: process.pid, hostname: os.hostname(), since: new Date().toISOString() };
      writeHolder(fd, file, api, holder, writes);
      keep = true;
      let released = false;
      return {
        file,
        holder,
        release() {
          if (released) return;
          released = true;
          // Unlink while still holding the lock, so no one can have locked the name we remove.
          try {
            fs.unlinkSync(file);
          } catch {
            // already gone, or (Windows) still open elsewhere: the next holder rewrites it
          }
          fs.closeSync(fd);
        },
      };
    } finally {
      if (!keep) fs.closeSync(fd);
    }
  }
}

/**
 * Replace the lock file's content with `holder`. On failure, unlink the file while still holding the
 * lock (no one else can have locked that name), then throw -1808 or -1022; the caller closes `fd`.
 */
function writeHolder(fd: number, file: string, api: string, holder: InstanceLockHolder, writes: InstanceLockWrites): void {
  const text = Buffer.from(JSON.stringify(holder));
  try {
    writes.ftruncate(fd, 0);
    for (let done = 0; done < text.length;) {
      const n = writes.write(fd, text, done, text.length - done, done);
      if (!(n > 0)) throw Object.assign(new Error(`EIO: write returned ${n} after ${done} of ${text.length} bytes`), { code: 'EIO' });
      done += n;
    }
  } catch (e) {
    try {
      fs.unlinkSync(file);
    } catch {
      // stays empty or partial: it names no holder, and the kernel's lock goes with the descriptor
    }
    throw diskError(api, file, "cannot write this process's name into the instance lock file", e);
  }
}

function describeHolder(file: string): string {
  const holder = readInstanceLockHolder(file);
  return holder ? `it names pid ${holder.pid} on ${holder.hostname} since ${holder.since}` : 'no holder named in it';
}

function heldError(file: string, api: string): JetError {
  let holder = readInstanceLockHolder(file);
  // The holder writes its name right after it takes the lock: give it a moment.
  for (let i = 0; !holder && i < 20; i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    holder = readInstanceLockHolder(file);
  }
  const mine = holder !== undefined && holder.pid === process.pid && holder.hostname === os.hostname();
  const who = holder ? `pid ${holder.pid} on ${holder.hostname} since ${holder.since}` : 'a process that has not written its name yet';
  const detail = mine
    ? `the instance directory ${path.dirname(file)} is already open in this process (${who}): terminate that instance first`
    : `the instance directory ${path.dirname(file)} is in use by ${who}`;
  return new JetError(api, mine ? JET_err.SystemPathInUse : JET_err.FileAccessDenied, { file, detail });
}
