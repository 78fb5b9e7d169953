/**
 * A command line the CLI cannot carry out as written: a bad option value, a path that names nothing,
 * a destination that must not exist yet. Exits with code 2 (`exitCodes.usage`).
 *
 * @example
 * if (fs.existsSync(to)) throw new UsageError(`--to ${to} already exists: a backup set is never written over`);
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
