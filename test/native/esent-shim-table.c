/*
 * esent-shim, part 3 (included by esent-shim.c): the table calls the demo and the restore's read-back
 * use, trampolined like the rest. Sessions, databases and tables are the host's (test/native/shim-tables.ts).
 */

SHIM_EXPORT JET_ERR JET_API JetCreateDatabase2W(JET_SESID sesid, const WCHAR *szFilename, JET_ULONG cpgDatabaseSizeMax, JET_DBID *pdbid, JET_GRBIT grbit) {
  if (!pdbid) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run_data(&c, API_CREATE_DATABASE2, sesid, cpgDatabaseSizeMax, 0, grbit, 0, 0, szFilename, NULL, NULL);
  if (err >= 0) *pdbid = (JET_DBID)value(&c, 0);
  release(&c);
  return err;
}

static JET_ERR out_tableid(int32_t api, JET_SESID sesid, JET_DBID dbid, const WCHAR *name, JET_GRBIT grbit, JET_TABLEID *ptableid) {
  if (!ptableid) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run_data(&c, api, sesid, dbid, 0, grbit, 0, 0, name, NULL, NULL);
  if (err >= 0) *ptableid = (JET_TABLEID)value(&c, 0);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetCreateTableW(JET_SESID sesid, JET_DBID dbid, const WCHAR *szTableName, JET_ULONG lPages, JET_ULONG lDensity, JET_TABLEID *ptableid) {
  (void)lPages;
  (void)lDensity;
  return out_tableid(API_CREATE_TABLE, sesid, dbid, szTableName, 0, ptableid);
}

SHIM_EXPORT JET_ERR JET_API JetOpenTableW(JET_SESID sesid, JET_DBID dbid, const WCHAR *szTableName, const void *pvParameters,
                                          JET_ULONG cbParameters, JET_GRBIT grbit, JET_TABLEID *ptableid) {
  (void)pvParameters;
  (void)cbParameters;
  return out_tableid(API_OPEN_TABLE, sesid, dbid, szTableName, grbit, ptableid);
}

SHIM_EXPORT JET_ERR JET_API JetAddColumnW(JET_SESID sesid, JET_TABLEID tableid, const WCHAR *szColumnName, const JET_COLUMNDEF *pcolumndef,
                                          const void *pvDefault, JET_ULONG cbDefault, JET_COLUMNID *pcolumnid) {
  (void)pvDefault;
  (void)cbDefault;
  if (!pcolumndef || pcolumndef->cbStruct != sizeof(JET_COLUMNDEF)) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run_data(&c, API_ADD_COLUMN, sesid, tableid, pcolumndef->grbit, pcolumndef->coltyp, pcolumndef->cbMax, 0, szColumnName, NULL, NULL);
  if (err >= 0 && pcolumnid) *pcolumnid = (JET_COLUMNID)value(&c, 0);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetCreateIndexW(JET_SESID sesid, JET_TABLEID tableid, const WCHAR *szIndexName, JET_GRBIT grbit,
                                            const WCHAR *szKey, JET_ULONG cbKey, JET_ULONG lDensity) {
  (void)lDensity;
  if (!szKey || cbKey < 2 * sizeof(WCHAR)) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run_data(&c, API_CREATE_INDEX, sesid, tableid, 0, grbit, cbKey, 0, szIndexName, NULL, szKey);
  release(&c);
  return err;
}

static JET_ERR session_call(int32_t api, JET_SESID sesid, JET_TABLEID tableid, uint64_t arg2, JET_GRBIT grbit) {
  call c = {0};
  JET_ERR err = run_data(&c, api, sesid, tableid, arg2, grbit, 0, 0, NULL, NULL, NULL);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetBeginTransaction(JET_SESID sesid) { return session_call(API_BEGIN_TRANSACTION, sesid, 0, 0, 0); }

SHIM_EXPORT JET_ERR JET_API JetCommitTransaction2(JET_SESID sesid, JET_GRBIT grbit, JET_ULONG cmsecDurableCommit, void *pCommitId) {
  (void)cmsecDurableCommit;
  (void)pCommitId; /* JET_COMMIT_ID: not produced by the shim; NULL is what the binding passes */
  return session_call(API_COMMIT_TRANSACTION, sesid, 0, 0, grbit);
}

SHIM_EXPORT JET_ERR JET_API JetRollback(JET_SESID sesid, JET_GRBIT grbit) { return session_call(API_ROLLBACK, sesid, 0, 0, grbit); }

SHIM_EXPORT JET_ERR JET_API JetCloseTable(JET_SESID sesid, JET_TABLEID tableid) { return session_call(API_CLOSE_TABLE, sesid, tableid, 0, 0); }

SHIM_EXPORT JET_ERR JET_API JetPrepareUpdate(JET_SESID sesid, JET_TABLEID tableid, JET_ULONG prep) {
  return session_call(API_PREPARE_UPDATE, sesid, tableid, 0, prep);
}

SHIM_EXPORT JET_ERR JET_API JetMove(JET_SESID sesid, JET_TABLEID tableid, int32_t cRow, JET_GRBIT grbit) {
  return session_call(API_MOVE, sesid, tableid, (uint64_t)(int64_t)cRow, grbit);
}

SHIM_EXPORT JET_ERR JET_API JetSetColumn(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, const void *pvData, JET_ULONG cbData,
                                         JET_GRBIT grbit, void *psetinfo) {
  (void)psetinfo;
  if (cbData && !pvData) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run_data(&c, API_SET_COLUMN, sesid, tableid, columnid, grbit, cbData, 0, NULL, NULL, pvData);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetUpdate(JET_SESID sesid, JET_TABLEID tableid, void *pvBookmark, JET_ULONG cbBookmark, JET_ULONG *pcbActual) {
  call c = {0};
  JET_ERR err = run_data(&c, API_UPDATE, sesid, tableid, 0, 0, cbBookmark, 0, NULL, NULL, NULL);
  if (err >= 0) {
    if (pvBookmark && c.data) memcpy(pvBookmark, c.data, c.cbdata < cbBookmark ? c.cbdata : cbBookmark);
    if (pcbActual) *pcbActual = c.cbdata;
  }
  release(&c);
  return err;
}

/* The host answers the column's whole value; what fits is copied, *pcbActual is the whole size (esent.h). */
SHIM_EXPORT JET_ERR JET_API JetRetrieveColumn(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, void *pvData, JET_ULONG cbData,
                                              JET_ULONG *pcbActual, JET_GRBIT grbit, void *pretinfo) {
  (void)pretinfo;
  call c = {0};
  JET_ERR err = run_data(&c, API_RETRIEVE_COLUMN, sesid, tableid, columnid, grbit, cbData, 0, NULL, NULL, NULL);
  if (err >= 0) {
    if (pvData && c.data) memcpy(pvData, c.data, c.cbdata < cbData ? c.cbdata : cbData);
    if (pcbActual) *pcbActual = c.cbdata;
    if (err == 0 && c.cbdata > cbData) err = 1006; /* JET_wrnBufferTruncated */
  }
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetGetTableColumnInfoW(JET_SESID sesid, JET_TABLEID tableid, const WCHAR *szColumnName, JET_COLUMNDEF *pvResult,
                                                   JET_ULONG cbMax, JET_ULONG InfoLevel) {
  if (!pvResult || cbMax < sizeof(JET_COLUMNDEF) || InfoLevel != 0 /* JET_ColInfo */) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run_data(&c, API_COLUMN_INFO, sesid, tableid, 0, 0, 0, 0, szColumnName, NULL, NULL);
  if (err >= 0) {
    memset(pvResult, 0, sizeof *pvResult);
    pvResult->cbStruct = sizeof *pvResult;
    pvResult->columnid = (JET_COLUMNID)value(&c, 0);
    pvResult->coltyp = (JET_ULONG)value(&c, 1);
    pvResult->cbMax = (JET_ULONG)value(&c, 2);
    pvResult->grbit = (JET_GRBIT)value(&c, 3);
  }
  release(&c);
  return err;
}
