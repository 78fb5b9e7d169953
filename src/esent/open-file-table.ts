import { JET_err } from '../jet/index.js';

/** Read errors after which the file is still open in ESE (the stop, bad buffers, instance-level refusals). */
const READ_KEEPS_FILE: ReadonlySet<number> = new Set([
  JET_err.BackupAbortByServer,
  JET_err.InvalidParameter,
  JET_err.InvalidInstance,
  JET_err.NotInitialized,
  JET_err.ClientRequestToStopJetService,
  JET_err.TermInProgress,
  JET_err.BackupNotAllowedYet,
]);

/**
 * The backup file handles ESE handed out and has not closed, per instance. ESE indexes its handle table
 * with whatever `JetReadFileInstance` is given, without a range check (reference §3): only handles in this
 * table are ever passed to a read or a close.
 *
 * It forgets a handle on Close, on a read error that closes the file (-1018, -1022, …), and every handle
 * of an instance when its session ends (End, a new Begin, -520, Term).
 */
export class OpenFileTable {
  private readonly open = new Map<bigint, Set<bigint>>();

  /** Whether `handle` is open on `inst` as far as this client knows. */
  has(inst: bigint, handle: bigint): boolean {
    return this.open.get(inst)?.has(handle) ?? false;
  }

  /** ESE opened `handle`. */
  add(inst: bigint, handle: bigint): void {
    let set = this.open.get(inst);
    if (!set) this.open.set(inst, (set = new Set()));
    set.add(handle);
  }

  /** `handle` is closed. */
  delete(inst: bigint, handle: bigint): void {
    this.open.get(inst)?.delete(handle);
  }

  /** The session of `inst` ended: no handle of it is open. */
  endSession(inst: bigint): void {
    this.open.delete(inst);
  }

  /** Update after any call that failed with `err`: -520 means no session, so nothing is open. */
  afterError(inst: bigint, err: number): void {
    if (err === JET_err.NoBackup) this.endSession(inst);
  }

  /** Update after a failed read of a known handle. */
  afterReadError(inst: bigint, handle: bigint, err: number): void {
    if (err === JET_err.NoBackup) this.endSession(inst);
    else if (!READ_KEEPS_FILE.has(err)) this.delete(inst, handle);
  }
}
