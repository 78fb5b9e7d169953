import path from 'node:path';
import type { EngineFacts } from '../coordinator/index.js';
import type { JetBackupApi, JetInstance } from '../jet/index.js';
import { UsageError } from './usage-error.js';

/** What `--engine` names: the embedded engine's directory (`embedded:DIR`) or esent.dll (`esent`). */
export type EngineSpec = { kind: 'embedded'; directory: string } | { kind: 'esent' };

/** An instance opened for a backup: its backend, handle and name, and how to close it afterwards. */
export interface OpenedInstance {
  api: JetBackupApi;
  instance: JetInstance;
  name: string;
  /** For people: `embedded:/data/ese/demo`, `esent:NAME`. */
  description: string;
  /** What is known of the instance's configuration (makes more of the coordinator's verdicts certain). */
  facts: Partial<EngineFacts>;
  /** Terminate the instance (JetTerm2) and release the backend. */
  close(): Promise<void>;
}

/**
 * Parses `--engine`: `embedded:DIR` (the directory holding embedded instances, `DIR/NAME` each) or
 * `esent` (esent.dll through koffi, Windows).
 *
 * @throws UsageError naming the accepted forms.
 * @example
 * parseEngineSpec('embedded:./demo') // { kind: 'embedded', directory: '/abs/demo' }
 */
export function parseEngineSpec(spec: string): EngineSpec {
  if (spec === 'esent') return { kind: 'esent' };
  if (spec.startsWith('embedded:') && spec.length > 'embedded:'.length)
    return { kind: 'embedded', directory: path.resolve(spec.slice('embedded:'.length)) };
  throw new UsageError(`--engine must be embedded:DIR or esent, got ${JSON.stringify(spec)}`);
}
