/**
 * Whether every test prerequisite must be present: `.ci/run` sets ESE_BACKUP_REQUIRE_ALL=1, and CI
 * services set CI=true. There, a missing C compiler or Chromium fails the run instead of skipping tests.
 */
export const requireAllPrerequisites = process.env.ESE_BACKUP_REQUIRE_ALL === '1' || process.env.CI === 'true';

/**
 * A prerequisite check for a group of tests: `missing` is why they cannot run (with the install
 * command), or undefined when they can. In CI ({@link requireAllPrerequisites}) a missing prerequisite
 * throws, so the test file that asked fails; elsewhere the reason is printed on stderr and returned,
 * for `describe.skipIf(reason)` (the skip is then counted by test/support/skipped-summary.ts).
 *
 * @example
 * export const noChromium = prerequisite(fs.existsSync(path) ? undefined : 'no Chromium: apt-get install -y chromium');
 */
export function prerequisite(missing: string | undefined): string | undefined {
  if (missing === undefined) return undefined;
  if (requireAllPrerequisites) {
    throw new Error(`missing test prerequisite (CI requires all: ESE_BACKUP_REQUIRE_ALL=1 or CI=true): ${missing}`);
  }
  console.warn(`SKIPPING tests: ${missing}`);
  return missing;
}
