import { first, switchMap, type Subscription } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import { runBackup, type BackupProgress, type BackupResult } from '../backup/index.js';
import { createCoordinator, deadline, shutdownHook, type Coordinator } from '../coordinator/index.js';
import type { FleetMember } from '../fleet/index.js';
import type { CliFleetOptions } from './cli-fleet.js';
import type { OpenedInstance } from './engine-spec.js';
import { exitCodes } from './exit-codes.js';
import { showProgress, type ProgressDisplayOptions } from './progress-display.js';
import { rateLimitedApi } from './rate-limited-api.js';

/** Bytes per JetReadFileInstance of a paced run (`rate`) without a `readSize`. */
const PACED_READ_SIZE = 1024 * 1024;

/** Options of {@link runCliBackup}. */
export interface CliBackupOptions {
  opened: OpenedInstance;
  /** The set's final path (must not exist). */
  to: string;
  mode: 'full' | 'incremental';
  truncateLogs: boolean;
  /** Re-verify the committed set from disk (always with `truncateLogs`). */
  verify: boolean;
  /** HMAC-SHA-256 key: the set gets `manifest.sig`. */
  signKey?: Uint8Array;
  /** Each file's digest in the manifest (default: `runBackup`'s). */
  digest?: 'blake3' | 'sha256';
  readSize?: number;
  /** Pace reads to this many bytes per second. */
  rate?: number;
  /** Stop the backup this many milliseconds after Begin (a deadline stop source). */
  stopAfter?: number;
  /** How long the shutdown hook lets sessions end after the first signal (default 10 s). */
  graceMs?: number;
  /** Where progress goes, or `false` for none. */
  progress: ProgressDisplayOptions | false;
  /** Sees every progress emission (the demo notes what was committed before the log phase). */
  onProgress?: (p: BackupProgress) => void;
  /** xstate's inspection observer, passed to `createCoordinator` (the live inspector's timeline). */
  inspect?: (event: InspectionEvent) => void;
  /** Called with the coordinator before Begin, and awaited (the demo watches for the stop, the inspector starts serving). */
  onCoordinator?: (coordinator: Coordinator) => void | Promise<void>;
  /** Join the fleet for the run (`--fleet`): stops and holds from it, state published to it. */
  fleet?: CliFleetOptions;
}

/** What {@link runCliBackup} resolves with; `dispose` releases the coordinator once the caller is done with it. */
export interface CliBackupRun {
  result: BackupResult;
  /** The signal that stopped the run, if one did. */
  signal: NodeJS.Signals | undefined;
  seconds: number;
  coordinator: Coordinator;
  dispose(): void;
}

/**
 * One backup as the CLI runs it: a coordinator over the instance's backend (paced by `rate`), the
 * shutdown hook on SIGINT/SIGTERM (a second signal exits at once with 130), a deadline stop for
 * `stopAfter`, the progress display, and `runBackup`, which decides the outcome.
 *
 * @example
 * const { result, dispose } = await runCliBackup({ opened, to, mode: 'full', truncateLogs: false, verify: true, progress: false });
 */
export async function runCliBackup(options: CliBackupOptions): Promise<CliBackupRun> {
  const { opened } = options;
  const api = options.rate ? rateLimitedApi(opened.api, options.rate) : opened.api;
  const coordinator = createCoordinator({ api, ...(options.inspect ? { inspect: options.inspect } : {}) });
  coordinator.session(opened.instance, { facts: opened.facts });
  const hook = shutdownHook({ coordinator, graceMs: options.graceMs ?? 10_000 });
  let finished = false;
  // A second signal, or sessions that outlive the grace period: leave now, still as "interrupted".
  void hook.exitCode.then((code) => {
    if (code !== 0 && !finished) {
      process.stderr.write(`ese-backup: ${code === 124 ? 'the backup session did not end in time' : 'second signal'}: exiting now\n`);
      process.exit(exitCodes.interrupted);
    }
  });
  let member: FleetMember | undefined;
  try {
    // Joined before Begin: a fleet hold in force refuses this run's Begin with -523.
    if (options.fleet) {
      // The NATS client loads only for a run that joins a fleet.
      const { joinCliFleet } = await import('./cli-fleet.js');
      member = await joinCliFleet(coordinator, opened.instance, opened.name, options.fleet, process.env, (m) =>
        process.stderr.write(`ese-backup: ${m}\n`),
      );
      process.stderr.write(
        `fleet: joined ${options.fleet.servers} as node ${member.node}, instance ${member.instanceName(opened.instance)}\n`,
      );
    }
    await options.onCoordinator?.(coordinator);
  } catch (e) {
    await member?.close();
    hook.dispose();
    coordinator.dispose();
    throw e;
  }
  const stops: Subscription[] = [];
  if (options.stopAfter !== undefined) {
    // The deadline counts from Begin (forwarded), not from the orphan clean-up and the lock before it.
    const begun$ = coordinator.state$(opened.instance).pipe(first((s) => s.context.calling === 'BEGIN_EXTERNAL_BACKUP'));
    stops.push(coordinator.stopWhen(begun$.pipe(switchMap(() => deadline(options.stopAfter!)))));
  }
  const t0 = performance.now();
  const run = runBackup({
    coordinator,
    instance: opened.instance,
    to: options.to,
    mode: options.mode,
    truncateLogs: options.truncateLogs,
    verify: options.verify,
    instanceName: opened.name,
    // Paced reads stay 1 MiB unless told: the pace is kept read by read, and a smaller read keeps it even.
    ...(options.readSize ? { readSize: options.readSize } : options.rate ? { readSize: PACED_READ_SIZE } : {}),
    ...(options.signKey ? { signKey: options.signKey } : {}),
    ...(options.digest ? { digest: options.digest } : {}),
  });
  const display = options.progress ? showProgress(run.progress$, options.progress) : undefined;
  const tap = options.onProgress ? run.progress$.subscribe(options.onProgress) : undefined;
  const fleetTap = member ? run.progress$.subscribe((p) => member!.progress(opened.instance, p)) : undefined;
  try {
    const result = await run;
    return {
      result,
      signal: hook.signal,
      seconds: (performance.now() - t0) / 1000,
      coordinator,
      dispose() {
        hook.dispose();
        coordinator.dispose();
      },
    };
  } catch (e) {
    hook.dispose();
    coordinator.dispose();
    throw e;
  } finally {
    finished = true;
    display?.stop();
    tap?.unsubscribe();
    fleetTap?.unsubscribe();
    for (const s of stops) s.unsubscribe();
    // The last state (the outcome) is published, marked closed: the node left, it is not unreachable.
    await member?.close();
  }
}
