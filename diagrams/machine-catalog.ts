import { StateMachine, type AnyStateMachine } from 'xstate';
import * as machines from '../machines/index.js';

/** A machine of `machines/` with the file stem of its diagrams. */
export interface CatalogEntry {
  /** The export's name (`instanceBackup`). */
  exportName: string;
  /** Kebab-case file stem (`instance-backup`): `diagrams/<name>.mmd`, `.md`, `.svg`. */
  name: string;
  machine: AnyStateMachine;
}

/**
 * Every xstate machine exported by `machines/index.ts`, sorted by name: a machine added there gets
 * diagrams with no change here.
 *
 * @param exports a module namespace to search (default `machines/index.ts`).
 * @example
 * machineCatalog().map((m) => m.name) // ['instance-backup']
 */
export function machineCatalog(exports: Record<string, unknown> = machines): CatalogEntry[] {
  return Object.entries(exports)
    .filter((entry): entry is [string, AnyStateMachine] => entry[1] instanceof StateMachine)
    .map(([exportName, machine]) => ({ exportName, name: exportName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase(), machine }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
