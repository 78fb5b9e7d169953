import { jetErrDescription, jetErrName } from './jet-err.js';

/**
 * The one error every backend raises for an engine condition: `err` is the JET_ERR,
 * `code` its ESE name, `api` the call that failed (`JetReadFileInstance`), `file` when a file was named.
 *
 * @example
 * try { await api.readFile(inst, h, buf) } catch (e) { if (e instanceof JetError && e.err === JET_err.BackupAbortByServer) … }
 */
export class JetError extends Error {
  readonly err: number;
  readonly code: string;
  readonly api: string;
  readonly file: string | undefined;

  constructor(api: string, err: number, options: { file?: string; detail?: string; cause?: unknown } = {}) {
    const code = jetErrName(err);
    const what = options.detail ?? jetErrDescription(err);
    super(`${api}: ${code} (${err})${what ? `: ${what}` : ''}${options.file ? ` [${options.file}]` : ''}`, { cause: options.cause });
    this.name = 'JetError';
    this.err = err;
    this.code = code;
    this.api = api;
    this.file = options.file;
  }
}

/** Throws a JetError when `err` is negative (ESE warnings are positive and are not errors). */
export function check(api: string, err: number, options?: { file?: string; detail?: string }): void {
  if (err < 0) throw new JetError(api, err, options);
}

/** Whether `e` is a JetError, optionally with the given code. */
export function isJetError(e: unknown, err?: number): e is JetError {
  return e instanceof JetError && (err === undefined || e.err === err);
}
