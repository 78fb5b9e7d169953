/**
 * The esent.dll functions this package calls, as koffi prototype strings that mirror `esent.h`
 * (reference §5). Only strings live here: `esent-library.ts` declares the named types and loads them.
 *
 * Types, as `esent-library.ts` declares them for koffi:
 * - `JET_ERR` = int32_t; `JET_GRBIT` and esent.h's `unsigned long` (`JET_ULONG` here) = uint32_t on every
 *   Windows ABI (koffi's own `unsigned long` is 8 bytes on Linux, so it is never used);
 * - `JET_INSTANCE`, `JET_HANDLE`, `JET_SESID`, `JET_API_PTR` = uintptr_t; `JET_DBID` = uint32_t;
 * - W strings are `char16_t` (UTF-16); `__stdcall` is `JET_API` on 32-bit x86 and ignored elsewhere.
 *
 * @example
 * esentPrototypes.JetStopBackupInstance // 'JET_ERR __stdcall JetStopBackupInstance(JET_INSTANCE instance)'
 */
export const esentPrototypes = {
  // Streaming backup (reference §5).
  JetBeginExternalBackupInstance: 'JET_ERR __stdcall JetBeginExternalBackupInstance(JET_INSTANCE instance, JET_GRBIT grbit)',
  JetGetAttachInfoInstanceW:
    'JET_ERR __stdcall JetGetAttachInfoInstanceW(JET_INSTANCE instance, _Out_ char16_t *szzDatabases, JET_ULONG cbMax, _Out_ JET_ULONG *pcbActual)',
  JetOpenFileInstanceW:
    'JET_ERR __stdcall JetOpenFileInstanceW(JET_INSTANCE instance, const char16_t *szFileName, _Out_ JET_HANDLE *phfFile, _Out_ JET_ULONG *pulFileSizeLow, _Out_ JET_ULONG *pulFileSizeHigh)',
  JetReadFileInstance:
    'JET_ERR __stdcall JetReadFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile, _Out_ void *pv, JET_ULONG cb, _Out_ JET_ULONG *pcbActual)',
  JetCloseFileInstance: 'JET_ERR __stdcall JetCloseFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile)',
  JetGetLogInfoInstanceW:
    'JET_ERR __stdcall JetGetLogInfoInstanceW(JET_INSTANCE instance, _Out_ char16_t *szzLogs, JET_ULONG cbMax, _Out_ JET_ULONG *pcbActual)',
  JetGetLogInfoInstance2W:
    'JET_ERR __stdcall JetGetLogInfoInstance2W(JET_INSTANCE instance, _Out_ char16_t *szzLogs, JET_ULONG cbMax, _Out_ JET_ULONG *pcbActual, _Inout_ JET_LOGINFO_W *pLogInfo)',
  JetGetTruncateLogInfoInstanceW:
    'JET_ERR __stdcall JetGetTruncateLogInfoInstanceW(JET_INSTANCE instance, _Out_ char16_t *szzLogs, JET_ULONG cbMax, _Out_ JET_ULONG *pcbActual)',
  JetTruncateLogInstance: 'JET_ERR __stdcall JetTruncateLogInstance(JET_INSTANCE instance)',
  JetEndExternalBackupInstance: 'JET_ERR __stdcall JetEndExternalBackupInstance(JET_INSTANCE instance)',
  JetEndExternalBackupInstance2: 'JET_ERR __stdcall JetEndExternalBackupInstance2(JET_INSTANCE instance, JET_GRBIT grbit)',
  JetStopBackupInstance: 'JET_ERR __stdcall JetStopBackupInstance(JET_INSTANCE instance)',
  JetStopServiceInstance2: 'JET_ERR __stdcall JetStopServiceInstance2(JET_INSTANCE instance, JET_GRBIT grbit)',
  JetStopServiceInstance: 'JET_ERR __stdcall JetStopServiceInstance(JET_INSTANCE instance)',
  JetTerm2: 'JET_ERR __stdcall JetTerm2(JET_INSTANCE instance, JET_GRBIT grbit)',
  // A private instance over a database no other process holds (for the CLI).
  JetCreateInstance2W:
    'JET_ERR __stdcall JetCreateInstance2W(_Out_ JET_INSTANCE *pinstance, const char16_t *szInstanceName, const char16_t *szDisplayName, JET_GRBIT grbit)',
  JetSetSystemParameterW:
    'JET_ERR __stdcall JetSetSystemParameterW(JET_INSTANCE *pinstance, JET_SESID sesid, JET_ULONG paramid, JET_API_PTR lParam, const char16_t *szParam)',
  JetInit: 'JET_ERR __stdcall JetInit(_Inout_ JET_INSTANCE *pinstance)',
  JetBeginSession:
    'JET_ERR __stdcall JetBeginSession(JET_INSTANCE instance, _Out_ JET_SESID *psesid, const char *szUserName, const char *szPassword)',
  JetAttachDatabaseW: 'JET_ERR __stdcall JetAttachDatabaseW(JET_SESID sesid, const char16_t *szFilename, JET_GRBIT grbit)',
  JetCreateDatabaseW:
    'JET_ERR __stdcall JetCreateDatabaseW(JET_SESID sesid, const char16_t *szFilename, const char16_t *szConnect, _Out_ JET_DBID *pdbid, JET_GRBIT grbit)',
  JetEndSession: 'JET_ERR __stdcall JetEndSession(JET_SESID sesid, JET_GRBIT grbit)',
  JetOpenDatabaseW:
    'JET_ERR __stdcall JetOpenDatabaseW(JET_SESID sesid, const char16_t *szFilename, const char16_t *szConnect, _Out_ JET_DBID *pdbid, JET_GRBIT grbit)',
  JetCloseDatabase: 'JET_ERR __stdcall JetCloseDatabase(JET_SESID sesid, JET_DBID dbid, JET_GRBIT grbit)',
  // Tables, for the demo and the restore's read-back (esent.h; JET_TABLEID is pointer-sized, JET_COLUMNID 32 bits).
  JetCreateDatabase2W:
    'JET_ERR __stdcall JetCreateDatabase2W(JET_SESID sesid, const char16_t *szFilename, JET_ULONG cpgDatabaseSizeMax, _Out_ JET_DBID *pdbid, JET_GRBIT grbit)',
  JetCreateTableW:
    'JET_ERR __stdcall JetCreateTableW(JET_SESID sesid, JET_DBID dbid, const char16_t *szTableName, JET_ULONG lPages, JET_ULONG lDensity, _Out_ JET_TABLEID *ptableid)',
  JetAddColumnW:
    'JET_ERR __stdcall JetAddColumnW(JET_SESID sesid, JET_TABLEID tableid, const char16_t *szColumnName, const JET_COLUMNDEF *pcolumndef, const void *pvDefault, JET_ULONG cbDefault, _Out_ JET_COLUMNID *pcolumnid)',
  JetCreateIndexW:
    'JET_ERR __stdcall JetCreateIndexW(JET_SESID sesid, JET_TABLEID tableid, const char16_t *szIndexName, JET_GRBIT grbit, const void *szKey, JET_ULONG cbKey, JET_ULONG lDensity)',
  JetBeginTransaction: 'JET_ERR __stdcall JetBeginTransaction(JET_SESID sesid)',
  JetCommitTransaction2:
    'JET_ERR __stdcall JetCommitTransaction2(JET_SESID sesid, JET_GRBIT grbit, JET_ULONG cmsecDurableCommit, void *pCommitId)',
  JetRollback: 'JET_ERR __stdcall JetRollback(JET_SESID sesid, JET_GRBIT grbit)',
  JetOpenTableW:
    'JET_ERR __stdcall JetOpenTableW(JET_SESID sesid, JET_DBID dbid, const char16_t *szTableName, const void *pvParameters, JET_ULONG cbParameters, JET_GRBIT grbit, _Out_ JET_TABLEID *ptableid)',
  JetCloseTable: 'JET_ERR __stdcall JetCloseTable(JET_SESID sesid, JET_TABLEID tableid)',
  JetPrepareUpdate: 'JET_ERR __stdcall JetPrepareUpdate(JET_SESID sesid, JET_TABLEID tableid, JET_ULONG prep)',
  JetSetColumn:
    'JET_ERR __stdcall JetSetColumn(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, const void *pvData, JET_ULONG cbData, JET_GRBIT grbit, void *psetinfo)',
  JetUpdate:
    'JET_ERR __stdcall JetUpdate(JET_SESID sesid, JET_TABLEID tableid, _Out_ void *pvBookmark, JET_ULONG cbBookmark, _Out_ JET_ULONG *pcbActual)',
  JetMove: 'JET_ERR __stdcall JetMove(JET_SESID sesid, JET_TABLEID tableid, int32_t cRow, JET_GRBIT grbit)',
  JetRetrieveColumn:
    'JET_ERR __stdcall JetRetrieveColumn(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, _Out_ void *pvData, JET_ULONG cbData, _Out_ JET_ULONG *pcbActual, JET_GRBIT grbit, void *pretinfo)',
  JetGetTableColumnInfoW:
    'JET_ERR __stdcall JetGetTableColumnInfoW(JET_SESID sesid, JET_TABLEID tableid, const char16_t *szColumnName, _Out_ JET_COLUMNDEF *pvResult, JET_ULONG cbMax, JET_ULONG InfoLevel)',
  // Restore of a streamed set (esent.h: `long crstfilemap` is 32 bits on every Windows ABI; pfn may be NULL).
  JetExternalRestore2W:
    'JET_ERR __stdcall JetExternalRestore2W(const char16_t *szCheckpointFilePath, const char16_t *szLogPath, const JET_RSTMAP_W *rgrstmap, int32_t crstfilemap, const char16_t *szBackupLogPath, const JET_LOGINFO_W *pLogInfo, const char16_t *szTargetInstanceName, const char16_t *szTargetInstanceLogPath, const char16_t *szTargetInstanceCheckpointPath, void *pfn)',
  JetGetInstanceInfoW: 'JET_ERR __stdcall JetGetInstanceInfoW(_Out_ JET_ULONG *pcInstanceInfo, _Out_ void **paInstanceInfo)',
  JetFreeBuffer: 'JET_ERR __stdcall JetFreeBuffer(void *pbBuf)',
} as const;

/** The name of an esent.dll export this package binds. */
export type EsentExport = keyof typeof esentPrototypes;

/** The first Windows release whose esent.dll exports each function (named in "missing export" errors). */
export const esentMinimumWindows: Readonly<Record<EsentExport, string>> = {
  JetBeginExternalBackupInstance: 'Windows XP',
  JetGetAttachInfoInstanceW: 'Windows Vista',
  JetOpenFileInstanceW: 'Windows Vista',
  JetReadFileInstance: 'Windows XP',
  JetCloseFileInstance: 'Windows XP',
  JetGetLogInfoInstanceW: 'Windows Vista',
  JetGetLogInfoInstance2W: 'Windows Vista',
  JetGetTruncateLogInfoInstanceW: 'Windows Vista',
  JetTruncateLogInstance: 'Windows XP',
  JetEndExternalBackupInstance: 'Windows XP',
  JetEndExternalBackupInstance2: 'Windows XP',
  JetStopBackupInstance: 'Windows XP',
  JetStopServiceInstance2: 'Windows 8',
  JetStopServiceInstance: 'Windows XP',
  JetTerm2: 'Windows XP',
  JetCreateInstance2W: 'Windows Vista',
  JetSetSystemParameterW: 'Windows Vista',
  JetInit: 'Windows 2000',
  JetBeginSession: 'Windows 2000',
  JetAttachDatabaseW: 'Windows Vista',
  JetCreateDatabaseW: 'Windows Vista',
  JetEndSession: 'Windows 2000',
  JetOpenDatabaseW: 'Windows Vista',
  JetCloseDatabase: 'Windows 2000',
  JetExternalRestore2W: 'Windows Vista',
  JetCreateDatabase2W: 'Windows Vista',
  JetCreateTableW: 'Windows Vista',
  JetAddColumnW: 'Windows Vista',
  JetCreateIndexW: 'Windows Vista',
  JetBeginTransaction: 'Windows 2000',
  JetCommitTransaction2: 'Windows 8',
  JetRollback: 'Windows 2000',
  JetOpenTableW: 'Windows Vista',
  JetCloseTable: 'Windows 2000',
  JetPrepareUpdate: 'Windows 2000',
  JetSetColumn: 'Windows 2000',
  JetUpdate: 'Windows 2000',
  JetMove: 'Windows 2000',
  JetRetrieveColumn: 'Windows 2000',
  JetGetTableColumnInfoW: 'Windows Vista',
  JetGetInstanceInfoW: 'Windows Vista',
  JetFreeBuffer: 'Windows XP',
};

/**
 * The exports a backup backend needs: checked when the backend is created, so a missing one fails early.
 * JetStopServiceInstance2 is not among them: before Windows 8 the backend falls back to JetStopServiceInstance.
 */
export const esentBackupExports: readonly EsentExport[] = [
  'JetBeginExternalBackupInstance',
  'JetGetAttachInfoInstanceW',
  'JetOpenFileInstanceW',
  'JetReadFileInstance',
  'JetCloseFileInstance',
  'JetGetLogInfoInstanceW',
  'JetGetLogInfoInstance2W',
  'JetGetTruncateLogInfoInstanceW',
  'JetTruncateLogInstance',
  'JetEndExternalBackupInstance2',
  'JetStopBackupInstance',
  'JetStopServiceInstance',
  'JetTerm2',
];

/** `JetSetSystemParameterW` parameter ids a private instance needs (`esent.h` values). */
export const JET_param = {
  SystemPath: 0,
  TempPath: 1,
  LogFilePath: 2,
  BaseName: 3,
  LogFileSize: 11,
  CircularLog: 17,
  Recovery: 34,
  DatabasePageSize: 64,
} as const;
