import type { Observable, Subscription } from 'rxjs';
import type { InspectionEvent, Observer, SnapshotFrom } from 'xstate';
import type { BackupPolicy, EngineFacts, JetCall, StopReason, Verdict, instanceBackup } from '../../machines/index.js';
import type { JetBackupApi, JetInstance } from '../jet/index.js';

/** A snapshot of one instance's chart (`value`, JSON-safe `context`). */
export type InstanceBackupSnapshot = SnapshotFrom<typeof instanceBackup>;

/** A stop reason, or a message (read as a manual stop). */
export type StopReasonLike = StopReason | string;

/** Options of `createCoordinator`. */
export interface CoordinatorOptions {
  /** The backend every allowed call goes to: the embedded engine, esent.dll, or a wrapper of either. */
  api: JetBackupApi;
  /**
   * `'engine'` (default): exactly ESE's behaviour; after End a new Begin succeeds.
   * `'latch'`: after a stop whose reason is a shutdown (signals, `shutdownHook`), Begin is refused
   * with JET_errBackupNotAllowedYet (-523) until `reset(inst)`.
   */
  policy?: BackupPolicy;
  /** Passed to xstate's `createActor`: sees every actor, event and snapshot of the system. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** Options of `coordinator.session`. */
export interface SessionOptions {
  /** What the caller knows of the instance's configuration: makes more verdicts certain. */
  facts?: Partial<EngineFacts>;
}

/** Which instances an emission of `stopWhen` stops (all known instances by default). */
export interface StopWhenOptions {
  instances?: readonly JetInstance[];
}

/** One instance's snapshot on `states$`. */
export interface InstanceState {
  instance: JetInstance;
  snapshot: InstanceBackupSnapshot;
}

/**
 * One xstate actor system with an `instanceBackup` actor per ESE instance. Every call of a session is
 * checked against its chart first; a call the engine would refuse is answered with that JetError
 * without reaching the backend. Stops are synchronous and collapse into one JetStopBackupInstance per
 * session.
 */
export interface Coordinator {
  readonly policy: BackupPolicy;
  /**
   * The guarded `JetBackupApi` of `inst` (the same object on every call). Calls on it are serialized;
   * a call for another instance is a RangeError.
   */
  session(inst: JetInstance, options?: SessionOptions): JetBackupApi;
  /** Stop `inst` now (synchronous, idempotent). Instances without a session are not reached. */
  stop(inst: JetInstance, reason?: StopReasonLike): void;
  /** Stop every instance (synchronous, idempotent): at most one JetStopBackupInstance per session. */
  stopAll(reason?: StopReasonLike): void;
  /** Stop the selected instances (all by default) on every emission of `source$`. */
  stopWhen(source$: Observable<unknown>, options?: StopWhenOptions): Subscription;
  /**
   * Hold `key`: every Begin is refused with JET_errBackupNotAllowedYet (-523) before the engine until
   * every hold is released (the latch's refusal, driven from outside: the fleet's `hold.*` keys).
   * Running sessions are not stopped. Holding a held key replaces its reason.
   */
  hold(key: string, reason?: StopReasonLike): void;
  /** Release the hold `key` (no-op when not held). */
  release(key: string): void;
  /** The holds in force, by key. */
  holds(): ReadonlyMap<string, StopReason>;
  /** Clear client-side refusals: the latch, and -523 after a refused Term2(Complete) once JetInit ran again. */
  reset(inst: JetInstance): void;
  /** What the engine would answer to `call` now (see `verdict`). */
  verdict(inst: JetInstance, call: JetCall): Verdict;
  /** The current snapshot of `inst`'s chart. */
  snapshot(inst: JetInstance): InstanceBackupSnapshot;
  /** The instances the coordinator knows. */
  instances(): JetInstance[];
  /** Snapshots of `inst`: the current one first, then every change. */
  state$(inst: JetInstance): Observable<InstanceBackupSnapshot>;
  /** Snapshots of every instance, those added later included: each current one first. */
  readonly states$: Observable<InstanceState>;
  /** Stop the actor system. Sessions are not ended. */
  dispose(): void;
}
