/** Most problems one report lists; the rest are counted in a last entry. */
export const MAX_PROBLEMS = 500;
/** Longest problem message, in characters; a longer one ends with "…". */
export const MAX_MESSAGE_LENGTH = 600;
/** Longest file name quoted in a message. */
const MAX_NAME_LENGTH = 120;

/** A message cut to {@link MAX_MESSAGE_LENGTH} characters. */
export function capMessage(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/**
 * A name from a hostile set, fit to print: control characters escaped, cut to 120 characters.
 *
 * @example
 * printableName('a\nb') // 'a\\nb'
 */
export function printableName(name: string): string {
  const escaped = JSON.stringify(name).slice(1, -1);
  return escaped.length <= MAX_NAME_LENGTH ? escaped : `${escaped.slice(0, MAX_NAME_LENGTH - 1)}…`;
}

/**
 * Sorted distinct integers as ranges: `[1,2,3,7]` → `"1-3, 7"`, at most `max` ranges then "… (N more)".
 */
export function formatRanges(values: readonly number[], max = 20): string {
  const ranges: string[] = [];
  let i = 0;
  let count = 0;
  while (i < values.length) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    if (count < max) ranges.push(i === j ? `${values[i]}` : `${values[i]}-${values[j]}`);
    count++;
    i = j + 1;
  }
  return count > max ? `${ranges.join(', ')}, … (${count - max} more ranges)` : ranges.join(', ');
}

/**
 * A list that keeps at most {@link MAX_PROBLEMS} problems, each message capped; `finish()` adds one
 * entry counting those left out, so a report stays bounded whatever the input.
 */
export class CappedProblems<P extends { message: string }> {
  readonly items: P[] = [];
  private dropped = 0;

  constructor(private readonly overflow: (dropped: number) => P) {}

  push(problem: P): void {
    if (this.items.length >= MAX_PROBLEMS) {
      this.dropped++;
      return;
    }
    this.items.push({ ...problem, message: capMessage(problem.message) });
  }

  get length(): number {
    return this.items.length + this.dropped;
  }

  /** The problems, with a last entry counting the ones left out. */
  finish(): P[] {
    return this.dropped === 0 ? this.items : [...this.items, this.overflow(this.dropped)];
  }
}
