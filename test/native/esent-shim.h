/*
 * esent-shim: esent.h's C types as esent.dll's ABI has them, the shim's own codes, and the call codes
 * shared with the JavaScript host (esent-shim-host.ts). Included by esent-shim.c.
 */
#ifndef ESENT_SHIM_H
#define ESENT_SHIM_H
#include <stdint.h>

#if defined(__i386__)
#define JET_API __attribute__((stdcall)) /* esent.h: __stdcall on 32-bit x86 */
#else
#define JET_API
#endif
#define SHIM_EXPORT __attribute__((visibility("default")))

typedef int32_t JET_ERR;
typedef uint32_t JET_GRBIT;
typedef uint32_t JET_ULONG; /* esent.h's `unsigned long`: 32 bits on every Windows ABI */
typedef uintptr_t JET_API_PTR;
typedef JET_API_PTR JET_INSTANCE;
typedef JET_API_PTR JET_HANDLE;
typedef JET_API_PTR JET_SESID;
typedef uint32_t JET_DBID;
typedef uint16_t WCHAR; /* UTF-16 code unit */

typedef struct { JET_ULONG cbSize, ulGenLow, ulGenHigh; WCHAR szBaseName[4]; } JET_LOGINFO_W;
typedef struct { WCHAR *szDatabaseName; WCHAR *szNewDatabaseName; } JET_RSTMAP_W;
typedef JET_API_PTR JET_TABLEID;
typedef uint32_t JET_COLUMNID;
typedef struct {
  JET_ULONG cbStruct;
  JET_COLUMNID columnid;
  JET_ULONG coltyp;
  uint16_t wCountry, langid, cp, wCollate;
  JET_ULONG cbMax;
  JET_GRBIT grbit;
} JET_COLUMNDEF;
typedef struct {
  JET_INSTANCE hInstanceId;
  WCHAR *szInstanceName;
  JET_API_PTR cDatabases;
  WCHAR **szDatabaseFileName;
  WCHAR **szDatabaseDisplayName;
  WCHAR **szDatabaseSLVFileName_Obsolete;
} JET_INSTANCE_INFO_W;

enum {
  SHIM_PENDING = 1,                   /* host: "I will call shim_complete" */
  SHIM_ERR_NO_HOST = -1090,           /* JET_errInstanceUnavailable: no host registered */
  SHIM_ERR_MAIN_THREAD = -107,        /* JET_errInternalError: would block the event loop */
  JET_errNoBackup = -520,
  JET_errBackupAbortByServer = -801,
  JET_errInvalidParameter = -1003,
  JET_errOutOfMemory = -1011,
  JET_errDiskIO = -1022,
  JET_errFileAccessDenied = -1032,
  JET_errFileNotFound = -1811,
};

/* Call codes shared with esent-shim-host.ts. */
enum {
  API_BEGIN = 1, API_ATTACH_INFO, API_OPEN, API_READ, API_CLOSE, API_LOG_INFO, API_LOG_INFO2, API_TRUNCATE_INFO,
  API_TRUNCATE, API_END, API_STOP_BACKUP, API_STOP_SERVICE, API_TERM, API_CREATE_INSTANCE, API_SET_PARAM, API_INIT,
  API_BEGIN_SESSION, API_ATTACH_DATABASE, API_INSTANCE_INFO, API_CREATE_DATABASE, API_END_SESSION, API_STOP_SERVICE_OLD,
  API_EXTERNAL_RESTORE, API_OPEN_DATABASE, API_CLOSE_DATABASE, API_CREATE_DATABASE2, API_CREATE_TABLE, API_ADD_COLUMN,
  API_CREATE_INDEX, API_BEGIN_TRANSACTION, API_COMMIT_TRANSACTION, API_ROLLBACK, API_OPEN_TABLE, API_CLOSE_TABLE,
  API_PREPARE_UPDATE, API_SET_COLUMN, API_UPDATE, API_MOVE, API_RETRIEVE_COLUMN, API_COLUMN_INFO,
};

/* flags of a call */
enum { FLAG_NULL_BUFFER = 1, FLAG_MISALIGNED = 2, FLAG_GLOBAL = 4 };

#endif
