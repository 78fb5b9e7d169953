import { connectFleet, fleetHold, fleetRelease, fleetStatus, fleetStop, type FleetStatus, type FleetStopAck } from '../fleet/index.js';
import { fleetConnectOptions, type CliFleetOptions } from './cli-fleet.js';
import type { CliOutput } from './cli-output.js';
import { exitCodes, type ExitCode } from './exit-codes.js';
import { formatBytes } from './format-bytes.js';
import { UsageError } from './usage-error.js';

/** Options shared by the `ese-backup fleet` commands. */
export interface FleetCommandOptions extends CliFleetOptions {
  env: NodeJS.ProcessEnv;
}

/** `ese-backup fleet status`: a table of every instance (unreachable ones marked), the holds and stops in force; `--watch` redraws every second until Ctrl-C. */
export async function fleetStatusCommand(o: FleetCommandOptions & { watch: boolean }, out: CliOutput): Promise<ExitCode> {
  const connect = fleetConnectOptions(o, o.env);
  if (!o.watch) {
    const status = await fleetStatus(connect);
    printStatus(status, out);
    out.result({ command: 'fleet status', ...status });
    return exitCodes.ok;
  }
  if (out.json) throw new UsageError('fleet status: --watch and --json do not go together');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // One connection for every redraw.
  const fleet = await connectFleet(connect);
  try {
    while (!stop.signal.aborted) {
      const status = await fleetStatus({ connection: fleet });
      // Redraw in place on a terminal; elsewhere one table after the other.
      if (out.streams.stdout.isTTY) out.streams.stdout.write('\x1b[H\x1b[2J');
      out.line(out.c.dim(`${new Date(status.at).toISOString()}  (Ctrl-C to exit)`));
      printStatus(status, out);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await fleet.close();
  }
  return exitCodes.ok;
}

function printStatus(status: FleetStatus, out: CliOutput): void {
  const { c } = out;
  if (status.holds.length > 0)
    for (const h of status.holds)
      out.line(c.yellow(`HELD ${h.key}: Begin refused (-523) since ${h.at}, by ${h.by}${h.reason ? `: ${h.reason}` : ''}`));
  const rows = status.instances.map((r) => {
    const s = r.status;
    const age = ((status.at - r.putAt) / 1000).toFixed(1);
    const seen = r.unreachable ? c.red(`UNREACHABLE (last seen ${age} s ago)`) : r.closed ? c.dim(`left (${age} s ago)`) : `${age} s ago`;
    const progress =
      s.progress && s.progress.bytesTotal > 0
        ? `${formatBytes(s.progress.bytesDone)}/${formatBytes(s.progress.bytesTotal)} ${s.progress.phase}`
        : '';
    const stop = s.stopReason ? `${s.stopReason.source}${s.stopReason.detail ? ` ${s.stopReason.detail}` : ''}` : '';
    return [s.node, s.instance, s.phase, progress, s.outcome?.kind ?? '', stop, seen];
  });
  if (rows.length === 0) {
    out.line('no instance has published state to this fleet');
  } else {
    const head = ['NODE', 'INSTANCE', 'PHASE', 'PROGRESS', 'LAST OUTCOME', 'STOP REASON', 'SEEN'];
    const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsi(r[i]!).length)));
    const pad = (cells: string[]) =>
      cells
        .map((cell, i) => cell + ' '.repeat(width[i]! - stripAnsi(cell).length))
        .join('  ')
        .trimEnd();
    out.line(c.bold(pad(head)));
    for (const r of rows) out.line(pad(r));
  }
  for (const w of status.warnings) out.note(`ese-backup: fleet: ${w}`);
}

// Colors do not take up columns: the widths are of the text without its escape sequences.
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * `ese-backup fleet stop`: writes the stop, prints each acknowledgement as it arrives, then a summary.
 *
 * @returns 0 when every targeted session acknowledged within `--wait`, 1 when some did not (named).
 */
export async function fleetStopCommand(
  o: FleetCommandOptions & { instance?: string; reason?: string; by?: string; waitMs: number },
  out: CliOutput,
): Promise<ExitCode> {
  if (o.instance !== undefined && o.node === undefined) throw new UsageError('fleet stop: --instance needs --node');
  const { c } = out;
  const line = (k: FleetStopAck) =>
    out.line(
      `${c.green('ack')} ${k.node}/${k.instance}: ${k.how === 'applied' ? 'stop applied' : 'session had ended'} in ${k.ackMs.toFixed(1)} ms`,
    );
  const r = await fleetStop({
    ...fleetConnectOptions(o, o.env),
    ...(o.node !== undefined ? { node: o.node } : {}),
    ...(o.instance !== undefined ? { instance: o.instance } : {}),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
    ...(o.by !== undefined ? { by: o.by } : {}),
    waitMs: o.waitMs,
    onAck: line,
  });
  out.note(`fleet: wrote ${r.key} epoch ${r.epoch}; ${r.targeted.length} running session(s) targeted`);
  if (r.targeted.length === 0) out.line(`no running session matched ${r.key}: nothing was running there to stop`);
  for (const m of r.missing)
    out.line(
      c.red(
        `NOT acknowledged within ${(o.waitMs / 1000).toFixed(1)} s: ${m.node}/${m.instance}${m.unreachable ? ' (unreachable: it stops when it reconnects, if its session still runs)' : ''}`,
      ),
    );
  if (r.targeted.length > 0) out.line(`${r.acked.length} of ${r.targeted.length} acknowledged${r.ok ? '' : `; ${r.missing.length} not`}`);
  out.result({ command: 'fleet stop', ...r, exitCode: r.ok ? exitCodes.ok : exitCodes.failed });
  return r.ok ? exitCodes.ok : exitCodes.failed;
}

/** `ese-backup fleet hold` / `release`: every Begin refused with -523 until released (fleet-wide, or `--node`). */
export async function fleetHoldCommand(
  o: FleetCommandOptions & { reason?: string; by?: string; release: boolean },
  out: CliOutput,
): Promise<ExitCode> {
  const target = {
    ...fleetConnectOptions(o, o.env),
    ...(o.node !== undefined ? { node: o.node } : {}),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
    ...(o.by !== undefined ? { by: o.by } : {}),
  };
  if (o.release) {
    const r = await fleetRelease(target);
    out.line(r.wasHeld ? `released ${r.key}: Begin is allowed again where no other hold applies` : `${r.key} was not held`);
    out.result({ command: 'fleet release', ...r });
  } else {
    const r = await fleetHold(target);
    out.line(
      `held ${r.key}: every coordinator of ${o.node === undefined ? 'the fleet' : `node ${o.node}`} refuses Begin with -523 until \`ese-backup fleet release\``,
    );
    out.result({ command: 'fleet hold', ...r });
  }
  return exitCodes.ok;
}
