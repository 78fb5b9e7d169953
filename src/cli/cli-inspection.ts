import type { Coordinator } from '../coordinator/index.js';
import { createInspector, createTimeline, isLoopbackHost, type Inspector, type Timeline } from '../inspect/index.js';
import type { JetBackupApi } from '../jet/index.js';
import { UsageError } from './usage-error.js';

/** The CLI's options of the live inspector (`--inspect [PORT]`, `--host`, `--allow-stop`, `--allow-non-loopback`). */
export interface CliInspectOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  host?: string;
  allowStop: boolean;
  allowNonLoopback: boolean;
}

/** The inspector of one CLI run: its timeline is fed by the coordinator's inspection stream from the start. */
export interface CliInspection {
  readonly timeline: Timeline;
  /** Pass to `createCoordinator({ inspect })`. */
  readonly inspect: Timeline['inspect'];
  /** Start serving the coordinator; resolves with the page's URL. */
  start(coordinator: Coordinator): Promise<string>;
  /** A session that reports the calls the coordinator refuses to the timeline. */
  watch(session: JetBackupApi): JetBackupApi;
  close(): Promise<void>;
}

/**
 * Prepares the live inspector for a CLI run (`ese-backup demo --inspect`, `ese-backup inspect`): a
 * timeline for the coordinator's inspection stream, then `createInspector` on loopback once the
 * coordinator exists.
 *
 * @throws UsageError for a non-loopback `host` without `allowNonLoopback` (at once); from `start`, the server's error (EADDRINUSE).
 * @example
 * const inspection = cliInspection({ port: 0, allowStop: false, allowNonLoopback: false });
 * const coordinator = createCoordinator({ api, inspect: inspection.inspect });
 * console.error(`inspector: ${await inspection.start(coordinator)}`);
 */
export function cliInspection(options: CliInspectOptions): CliInspection {
  if (options.host !== undefined && !isLoopbackHost(options.host) && !options.allowNonLoopback) {
    throw new UsageError(
      `--host ${options.host} is not a loopback address; the inspector has no authentication: pass --allow-non-loopback to expose it`,
    );
  }
  const timeline = createTimeline();
  let inspector: Inspector | undefined;
  return {
    timeline,
    inspect: timeline.inspect,
    async start(coordinator) {
      try {
        inspector = await createInspector({
          coordinator,
          timeline,
          port: options.port,
          allowStop: options.allowStop,
          allowNonLoopback: options.allowNonLoopback,
          ...(options.host ? { host: options.host } : {}),
        });
      } catch (e) {
        // A non-loopback --host without --allow-non-loopback is a usage error, refused before anything listens.
        throw e instanceof RangeError
          ? new UsageError(`inspector: ${e.message.replace('pass allowNonLoopback: true', 'pass --allow-non-loopback')}`)
          : e;
      }
      return inspector.url;
    },
    watch: (session) => timeline.watch(session),
    async close() {
      await inspector?.close();
    },
  };
}
