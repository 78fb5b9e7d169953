import { InvalidArgumentError } from 'commander';

/**
 * A duration option: `500ms`, `10s`, `2m`, or a plain number of seconds.
 *
 * @throws InvalidArgumentError (commander: exit code 2) for anything else.
 */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be a duration: 500ms, 10s, 2m or seconds');
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}
