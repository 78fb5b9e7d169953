import pc from 'picocolors';
import { JetError } from '../jet/index.js';

type Colors = ReturnType<typeof pc.createColors>;

/** Where a command writes: its result (text or JSON) to `stdout`, progress and errors to `stderr`. */
export interface CliStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Whether `stream` gets colors: never with `NO_COLOR` set (no-color.org), `FORCE_COLOR` forces them, else a TTY that is not dumb. */
export function colorsWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** An error as `--json` prints it: its name and message, and for a JetError its ESE code, number, call and file. */
export function errorJson(e: unknown): Record<string, unknown> {
  if (e instanceof JetError)
    return { name: e.name, message: e.message, code: e.code, err: e.err, api: e.api, ...(e.file ? { file: e.file } : {}) };
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

/**
 * The output of one command. In human mode `line` writes text to stdout (colored when wanted); in
 * `--json` mode lines are dropped and `result` writes one JSON document. Errors always reach stderr as
 * one line; in `--json` mode stdout gets them as `{ error, exitCode }` too.
 *
 * @example
 * const out = new CliOutput(streams, { json: opts.json });
 * out.line(`${out.c.green('ok')} ${set}`); out.result({ ok: true, set });
 */
export class CliOutput {
  /** Colors for stdout (all identity functions when off). */
  readonly c: Colors;
  /** Colors for stderr. */
  readonly ce: Colors;

  constructor(
    readonly streams: CliStreams,
    readonly options: { json: boolean },
  ) {
    this.c = pc.createColors(!options.json && colorsWanted(streams.stdout, streams.env));
    this.ce = pc.createColors(colorsWanted(streams.stderr, streams.env));
  }

  get json(): boolean {
    return this.options.json;
  }

  /** A line of the human result (dropped with `--json`). */
  line(text = ''): void {
    if (!this.options.json) this.streams.stdout.write(`${text}\n`);
  }

  /** A line of commentary to stderr (kept with `--json`, where stdout holds only JSON). */
  note(text: string): void {
    this.streams.stderr.write(`${text}\n`);
  }

  /** The JSON result (only with `--json`); bigints as decimal strings, errors as {@link errorJson}. */
  result(value: Record<string, unknown>): void {
    if (!this.options.json) return;
    const text = JSON.stringify(
      value,
      (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Error ? errorJson(v) : v),
      2,
    );
    this.streams.stdout.write(`${text}\n`);
  }

  /** An error that ended the command, with the exit code it gives. */
  error(e: unknown, exitCode: number): void {
    const message = e instanceof Error ? e.message : String(e);
    this.streams.stderr.write(`${this.ce.red('ese-backup: error:')} ${message}\n`);
    this.result({ error: e, exitCode });
  }
}
