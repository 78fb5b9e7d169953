import type { CliOutput } from './cli-output.js';
import type { StopProbe } from './watch-stop.js';

/**
 * Prints what a stop changed: each backup call with the coordinator's verdict (refused with its ESE
 * code and rule, or still allowed), then the real read made right after the stop and its answer.
 *
 * @example
 * printStopProbe(await watch.dispose(), out);
 */
export function printStopProbe(probe: StopProbe, out: CliOutput): void {
  const { c } = out;
  const width = Math.max(...probe.verdicts.map((v) => v.api.length));
  out.line(
    `after JetStopBackupInstance (${probe.reason.source}${probe.reason.detail ? ` ${probe.reason.detail}` : ''}), the calls of the session:`,
  );
  for (const v of probe.verdicts) {
    const what =
      v.kind === 'refused'
        ? `${c.red('refused')} ${v.code} (${v.err}): ${v.rule}`
        : v.kind === 'allowed'
          ? `${c.green('allowed')}${v.api === 'JetEndExternalBackupInstance2' ? ': End2(Abort) ends the session' : ''}`
          : `depends on the data: ${v.rule}`;
    out.line(`  ${v.api.padEnd(width)}  ${what}`);
  }
  const { error, bytes } = probe.read;
  out.line(`  a real read through the guarded session: ${error ? error.message : `${bytes} bytes (not refused)`}`);
}
