import { randomInt } from 'node:crypto';

/**
 * The seed of a random test: ESE_BACKUP_SEED when set (to replay a run), else a fresh one. Put
 * {@link seedLabel} in the test's name so that the seed of a failing run is printed with it.
 *
 * @example
 * const seed = testSeed();
 * it(`random stops hold (${seedLabel(seed)})`, () => fc.assert(prop, { seed }));
 */
export function testSeed(): number {
  const given = process.env.ESE_BACKUP_SEED;
  if (given === undefined || given === '') return randomInt(0, 2 ** 31);
  const seed = Number(given);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed >= 2 ** 31)
    throw new Error(`ESE_BACKUP_SEED must be an integer in [0, 2^31), got ${JSON.stringify(given)}`);
  return seed;
}

/** `seed N; replay with ESE_BACKUP_SEED=N`, for a test's name. */
export const seedLabel = (seed: number): string => `seed ${seed}; replay with ESE_BACKUP_SEED=${seed}`;
