import type { EngineFacts } from './instance-backup-types.js';
import { jetValues } from './jet-values.js';

const { err, bit } = jetValues;

/** What a Begin rule reads: the facts the chart knows, whether a session is open, the grbit. */
export interface BeginCheck {
  facts: EngineFacts;
  sessionOpen: boolean;
  grbit: number;
}

/** One of Begin's checks, in the engine's order. */
export interface BeginRule {
  err: number;
  rule: string;
  /** Whether the engine refuses here: `null` when a fact it depends on is unknown to the chart. */
  refuses(check: BeginCheck): boolean | null;
  /** What the engine's answer teaches: the facts when this rule refused (`true`) or was passed (`false`). */
  learn?(refused: boolean, incremental: boolean): Partial<EngineFacts>;
}

const isIncremental = (grbit: number) => grbit === bit.BackupIncremental;
const unknownOr = (fact: boolean | null, refuses: (fact: boolean) => boolean) => (fact === null ? null : refuses(fact));

/**
 * JetBeginExternalBackupInstance's checks in the engine's order (reference §3): the first that
 * refuses is the answer, so a refusal with a rule's code also says that every rule before it passed,
 * and a success that every rule passed. `verdict` reads this table to predict Begin's answer; the
 * chart's `learnFromBegin` and `recordBegin` read it to learn the instance's facts from the answer.
 *
 * The embedded engine (`src/engine/embedded-backup.ts`) transcribes the same checks on its own, on
 * purpose: the model-based tests (test/coordinator/model-based-*.test.ts) hold the two equal.
 */
export const beginRules: readonly BeginRule[] = [
  {
    err: err.BackupNotAllowedYet,
    rule: 'Term2(Complete) was refused; Begin waits for JetInit',
    refuses: ({ facts }) => facts.backupNotAllowed,
    learn: (refused) => ({ backupNotAllowed: refused }),
  },
  {
    err: err.LoggingDisabled,
    rule: 'logging is disabled',
    refuses: ({ facts }) => unknownOr(facts.recovery, (recovery) => !recovery),
    learn: (refused) => ({ recovery: !refused }),
  },
  {
    err: err.InvalidGrbit,
    rule: 'Begin takes 0 or BackupIncremental',
    refuses: ({ grbit }) => grbit !== 0 && !isIncremental(grbit),
  },
  {
    err: err.InvalidBackup,
    rule: 'incremental with circular logging',
    refuses: ({ facts, grbit }) => (isIncremental(grbit) ? facts.circularLogging : false),
    learn: (refused, incremental) => (incremental ? { circularLogging: refused } : {}),
  },
  {
    err: err.BackupInProgress,
    rule: 'a backup is in progress (even a stopped one) until End',
    refuses: ({ sessionOpen }) => sessionOpen,
  },
  {
    err: err.MissingFullBackup,
    rule: 'incremental without a truncating full backup',
    refuses: ({ facts, grbit }) => (isIncremental(grbit) ? unknownOr(facts.incrementalBase, (base) => !base) : false),
    learn: (refused, incremental) => (incremental ? { incrementalBase: !refused } : {}),
  },
];

/**
 * The facts after Begin answered `answer` (0 for success): every rule before the one that refused
 * passed. An answer no rule gives (an I/O error) teaches nothing.
 */
export function learnFromBeginAnswer(facts: EngineFacts, grbit: number, answer: number): EngineFacts {
  const refusedAt = answer === 0 ? beginRules.length : beginRules.findIndex((r) => r.err === answer);
  if (refusedAt < 0) return facts;
  const incremental = isIncremental(grbit);
  const learned = { ...facts };
  for (const [i, rule] of beginRules.slice(0, refusedAt + 1).entries()) Object.assign(learned, rule.learn?.(i === refusedAt, incremental));
  return learned;
}
