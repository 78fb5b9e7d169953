export { createEsentBackend } from './create-esent-backend.js';
export type { EsentBackend } from './create-esent-backend.js';
export { AsyncGate } from './async-gate.js';
export type { AsyncLane } from './async-gate.js';
export { DEFAULT_BULK_CONCURRENCY, loadEsentLibrary } from './esent-library.js';
export type {
  EsentExternalRestore,
  EsentLibrary,
  EsentLibraryLoadOptions,
  EsentInstanceInfo,
  EsentReadThreads,
  JetLogInfoW,
} from './esent-library.js';
export { EsentReadWorker } from './esent-read-worker.js';
export type { EsentReadWorkerOptions } from './esent-read-worker.js';
export { ESENT_ASYNC_HEAP_SIZE, ESENT_ASYNC_STACK_SIZE, ESENT_SYNC_STACK_SIZE, configureKoffiForEsent } from './load-koffi.js';
export { EsentLoadError } from './esent-load-error.js';
export type { EsentLoadErrorCode } from './esent-load-error.js';
export { JET_param, esentBackupExports, esentMinimumWindows, esentPrototypes } from './esent-prototypes.js';
export type { EsentExport } from './esent-prototypes.js';
export { resolveEsentLibrary } from './resolve-esent-library.js';
export type { EsentLibraryOptions } from './resolve-esent-library.js';
export { decodeMultiString, encodeMultiString } from './utf16-multi-string.js';
export { JET_table, bindEsentTableCalls } from './esent-table-calls.js';
export type { EsentTableCalls, JetColumnDef } from './esent-table-calls.js';
export { KEY_VALUE_COLUMNS, createKeyValueTable, insertRows, openKeyValueTable, readRows } from './esent-key-value-table.js';
export type { KeyValueTable } from './esent-key-value-table.js';
