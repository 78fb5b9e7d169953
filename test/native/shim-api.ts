/** The calls of the esent shim, by the codes esent-shim.c passes to its host (`API_BEGIN` = 1, …). */
const names = [
  'begin',
  'attachInfo',
  'open',
  'read',
  'close',
  'logInfo',
  'logInfo2',
  'truncateInfo',
  'truncate',
  'end',
  'stopBackup',
  'stopService',
  'term',
  'createInstance',
  'setParam',
  'init',
  'beginSession',
  'attachDatabase',
  'instanceInfo',
  'createDatabase',
  'endSession',
  'stopServiceOld',
  'externalRestore',
  'openDatabase',
  'closeDatabase',
  'createDatabase2',
  'createTable',
  'addColumn',
  'createIndex',
  'beginTransaction',
  'commitTransaction',
  'rollback',
  'openTable',
  'closeTable',
  'prepareUpdate',
  'setColumn',
  'update',
  'move',
  'retrieveColumn',
  'columnInfo',
] as const;

/** A call of the shim, named after the ESE function it stands for. */
export type ShimApi = (typeof names)[number] | 'unknown';

/** The name of shim call code `code` (esent-shim.c's enum). */
export function shimCallName(code: number): ShimApi {
  return names[code - 1] ?? 'unknown';
}
