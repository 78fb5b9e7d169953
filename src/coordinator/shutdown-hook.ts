import { constants } from 'node:os';
import { Subscription, asyncScheduler, timer, type SchedulerLike } from 'rxjs';
import type { StopReason } from '../../machines/index.js';
import { JET_bit } from '../jet/index.js';
import type { Coordinator, InstanceBackupSnapshot } from './coordinator-types.js';
import { fromSignals, type SignalTarget } from './from-signals.js';

/** Options of `shutdownHook`. */
export interface ShutdownHookOptions {
  coordinator: Coordinator;
  /** Signals that start the shutdown (default SIGINT, SIGTERM; on Windows SIGTERM stands for SIGBREAK and SIGHUP). */
  signals?: readonly NodeJS.Signals[];
  /** How long running sessions get to end after the first signal. */
  graceMs: number;
  /** Where signals arrive (default `process`). */
  target?: SignalTarget;
  platform?: NodeJS.Platform;
  /** The grace timer's clock (default RxJS's asyncScheduler). */
  scheduler?: SchedulerLike;
}

/** A running shutdown hook. */
export interface ShutdownHook {
  /** Resolves once a shutdown finished: 0 clean, 124 grace expired, 128 + n on a second signal n (130 SIGINT, 143 SIGTERM). */
  readonly exitCode: Promise<number>;
  /** The signal that started the shutdown, once one has. */
  readonly signal: NodeJS.Signals | undefined;
  /** Remove the signal listeners (the hook swallows further signals until then). */
  dispose(): void;
}

/** Exit codes of `shutdownHook`. */
export const shutdownExitCode = { clean: 0, graceExpired: 124, signalBase: 128 } as const;

const sessionOpen = (s: InstanceBackupSnapshot) => s.matches({ backup: 'session' });
const running = (s: InstanceBackupSnapshot) => sessionOpen(s) && s.context.session?.stopReason === null;
const quiet = (s: InstanceBackupSnapshot) => !sessionOpen(s) && s.context.calling !== 'BEGIN_EXTERNAL_BACKUP';

/**
 * On the first signal, stop every instance (a shutdown stop: the latch policy latches) and end every
 * session through the abort path (End(Abort), queued behind the call in flight; sessions begun during
 * the shutdown are stopped and ended too). Resolves `exitCode` with 0 once no session is open, with
 * 124 when `graceMs` passes first, and at once with 128 + n on a second signal. It never calls
 * `process.exit`: the app decides.
 *
 * After a shutdown a caller's next call answers -801, or -520 once the hook's End went first.
 * @example
 * const hook = shutdownHook({ coordinator, graceMs: 5000 });
 * const code = await hook.exitCode; hook.dispose(); process.exit(code);
 */
export function shutdownHook(options: ShutdownHookOptions): ShutdownHook {
  const { coordinator, signals = ['SIGINT', 'SIGTERM'], graceMs, scheduler = asyncScheduler } = options;
  if (typeof coordinator?.stopAll !== 'function') throw new TypeError('shutdownHook: options.coordinator must be a Coordinator');
  if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0)
    throw new RangeError(`shutdownHook: graceMs must be a finite number >= 0, got ${String(graceMs)}`);
  let resolve!: (code: number) => void;
  const exitCode = new Promise<number>((r) => (resolve = r));
  let first: NodeJS.Signals | undefined;
  let settled = false;
  const listening = new Subscription();
  const shutdown = new Subscription();
  const ending = new Set<bigint>();

  const finish = (code: number) => {
    if (settled) return;
    settled = true;
    shutdown.unsubscribe();
    resolve(code);
  };
  const checkQuiet = () => {
    if (!settled && ending.size === 0 && coordinator.instances().every((inst) => quiet(coordinator.snapshot(inst))))
      finish(shutdownExitCode.clean);
  };
  const start = (reason: StopReason) => {
    coordinator.stopAll(reason);
    shutdown.add(timer(graceMs, scheduler).subscribe(() => finish(shutdownExitCode.graceExpired)));
    shutdown.add(
      coordinator.states$.subscribe(({ instance, snapshot }) => {
        if (running(snapshot))
          coordinator.stop(instance, reason); // begun during the shutdown
        else if (sessionOpen(snapshot) && !ending.has(instance) && !snapshot.matches({ backup: 'serviceStopped' })) {
          ending.add(instance);
          coordinator
            .session(instance)
            .endExternalBackup(instance, JET_bit.BackupEndAbort)
            .catch(() => {}) // -520: the app's own End came first; -1003/-1329: nothing left to end
            .finally(() => {
              ending.delete(instance);
              checkQuiet();
            });
        }
        checkQuiet();
      }),
    );
  };

  listening.add(
    fromSignals(signals, {
      ...(options.target ? { target: options.target } : {}),
      ...(options.platform ? { platform: options.platform } : {}),
    }).subscribe((reason) => {
      const signal = reason.detail as NodeJS.Signals;
      if (first === undefined) {
        first = signal;
        start(reason);
      } else {
        finish(shutdownExitCode.signalBase + (constants.signals[signal] ?? 0));
      }
    }),
  );

  return {
    exitCode,
    get signal() {
      return first;
    },
    dispose() {
      listening.unsubscribe();
      shutdown.unsubscribe();
    },
  };
}
