import type { JetCall, SessionRecord } from '../../../machines/index.js';

/** What a test step does, independent of the instance's real paths. */
export type AbstractAction =
  | 'BEGIN'
  | 'BEGIN_INCREMENTAL'
  | 'BEGIN_BAD_GRBIT'
  | 'GET_ATTACH_INFO'
  | 'GET_LOG_INFO'
  | 'GET_TRUNCATE_LOG_INFO'
  | 'TRUNCATE_LOG'
  | 'OPEN_DB'
  | 'OPEN_LOG'
  | 'OPEN_OTHER'
  | 'OPEN_EMPTY'
  | 'READ'
  | 'READ_ONE_PAGE'
  | 'READ_ODD_SIZE'
  | 'READ_BAD_HANDLE'
  | 'CLOSE'
  | 'CLOSE_BAD_HANDLE'
  | 'END_NORMAL'
  | 'END_ABORT'
  | 'END_BAD_GRBIT'
  | 'STOP'
  | 'STOP_SERVICE'
  | 'TERM'
  | 'TERM_COMPLETE';

/** Every action, offered in every state (refused ones included: the verdict must hold for them too). */
export const abstractActions: readonly AbstractAction[] = [
  'BEGIN',
  'BEGIN_INCREMENTAL',
  'BEGIN_BAD_GRBIT',
  'GET_ATTACH_INFO',
  'GET_LOG_INFO',
  'GET_TRUNCATE_LOG_INFO',
  'TRUNCATE_LOG',
  'OPEN_DB',
  'OPEN_LOG',
  'OPEN_OTHER',
  'OPEN_EMPTY',
  'READ',
  'READ_ONE_PAGE',
  'READ_ODD_SIZE',
  'READ_BAD_HANDLE',
  'CLOSE',
  'CLOSE_BAD_HANDLE',
  'END_NORMAL',
  'END_ABORT',
  'END_BAD_GRBIT',
  'STOP',
  'STOP_SERVICE',
  'TERM',
  'TERM_COMPLETE',
];

/** Paths an action needs: the database, a log, a path that is neither. */
export interface PathsOf {
  database: string;
  /** The first log of the copy range (or the lowest log on disk), for when the chart has no GetLogInfo list. */
  someLog: () => string;
  other: string;
}

/** The read size of READ: one read reaches EOF of every file of the fixture (64 KiB logs). */
export const READ_SIZE = 65536;

/** The ESE call an action stands for in the chart's current session. */
export function concreteCall(action: AbstractAction, session: SessionRecord | null, paths: PathsOf): JetCall {
  const nextLog = () => session?.logs?.find((l) => !session.copied.includes(l)) ?? session?.logs?.[0] ?? paths.someLog();
  switch (action) {
    case 'BEGIN':
      return { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0 };
    case 'BEGIN_INCREMENTAL':
      return { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 1 };
    case 'BEGIN_BAD_GRBIT':
      return { type: 'BEGIN_EXTERNAL_BACKUP', grbit: 0x4 };
    case 'GET_ATTACH_INFO':
      return { type: 'GET_ATTACH_INFO' };
    case 'GET_LOG_INFO':
      return { type: 'GET_LOG_INFO' };
    case 'GET_TRUNCATE_LOG_INFO':
      return { type: 'GET_TRUNCATE_LOG_INFO' };
    case 'TRUNCATE_LOG':
      return { type: 'TRUNCATE_LOG' };
    case 'OPEN_DB':
      return { type: 'OPEN_FILE', name: paths.database };
    case 'OPEN_LOG':
      return { type: 'OPEN_FILE', name: nextLog() };
    case 'OPEN_OTHER':
      return { type: 'OPEN_FILE', name: paths.other };
    case 'OPEN_EMPTY':
      return { type: 'OPEN_FILE', name: '' };
    case 'READ':
      return { type: 'READ_FILE', handle: '0', size: READ_SIZE };
    case 'READ_ONE_PAGE':
      return { type: 'READ_FILE', handle: '0', size: 4096 };
    case 'READ_ODD_SIZE':
      return { type: 'READ_FILE', handle: '0', size: 1000 };
    case 'READ_BAD_HANDLE':
      return { type: 'READ_FILE', handle: '1', size: READ_SIZE };
    case 'CLOSE':
      return { type: 'CLOSE_FILE', handle: '0' };
    case 'CLOSE_BAD_HANDLE':
      return { type: 'CLOSE_FILE', handle: '1' };
    case 'END_NORMAL':
      return { type: 'END_EXTERNAL_BACKUP', grbit: 1 };
    case 'END_ABORT':
      return { type: 'END_EXTERNAL_BACKUP', grbit: 2 };
    case 'END_BAD_GRBIT':
      return { type: 'END_EXTERNAL_BACKUP', grbit: 3 };
    case 'STOP':
      return { type: 'STOP_BACKUP' };
    case 'STOP_SERVICE':
      return { type: 'STOP_SERVICE', grbit: 0 };
    case 'TERM':
      return { type: 'TERM', grbit: 2 };
    case 'TERM_COMPLETE':
      return { type: 'TERM', grbit: 1 };
  }
}
