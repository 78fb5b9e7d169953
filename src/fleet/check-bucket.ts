/**
 * `name` checked as a KV bucket name.
 *
 * @throws RangeError when it holds anything but letters, digits, `_` and `-`.
 */
export function checkBucket(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name))
    throw new RangeError(`fleet: bucket name must be 1-64 letters, digits, '_' or '-', got ${JSON.stringify(name)}`);
  return name;
}
