/*
 * esent-shim, part 2 (included by esent-shim.c): the calls that open a private instance over a database
 * no other process holds, and list this process's instances. Same trampoline as the backup calls.
 */

SHIM_EXPORT JET_ERR JET_API JetCreateInstance2W(JET_INSTANCE *pinstance, const WCHAR *szInstanceName, const WCHAR *szDisplayName, JET_GRBIT grbit) {
  if (!pinstance) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run(&c, API_CREATE_INSTANCE, 0, 0, grbit, 0, 0, szInstanceName, szDisplayName);
  if (err >= 0) *pinstance = (JET_INSTANCE)value(&c, 0);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetSetSystemParameterW(JET_INSTANCE *pinstance, JET_SESID sesid, JET_ULONG paramid, JET_API_PTR lParam, const WCHAR *szParam) {
  (void)sesid;
  call c = {0};
  JET_ERR err = run(&c, API_SET_PARAM, pinstance ? *pinstance : 0, lParam, paramid, 0, pinstance ? 0 : FLAG_GLOBAL, szParam, NULL);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetInit(JET_INSTANCE *pinstance) {
  if (!pinstance) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run(&c, API_INIT, *pinstance, 0, 0, 0, 0, NULL, NULL);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetBeginSession(JET_INSTANCE instance, JET_SESID *psesid, const char *szUserName, const char *szPassword) {
  (void)szUserName;
  (void)szPassword;
  if (!psesid) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run(&c, API_BEGIN_SESSION, instance, 0, 0, 0, 0, NULL, NULL);
  if (err >= 0) *psesid = (JET_SESID)value(&c, 0);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetAttachDatabaseW(JET_SESID sesid, const WCHAR *szFilename, JET_GRBIT grbit) {
  call c = {0};
  JET_ERR err = run(&c, API_ATTACH_DATABASE, sesid, 0, grbit, 0, 0, szFilename, NULL);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetCreateDatabaseW(JET_SESID sesid, const WCHAR *szFilename, const WCHAR *szConnect, JET_DBID *pdbid, JET_GRBIT grbit) {
  (void)szConnect;
  call c = {0};
  JET_ERR err = run(&c, API_CREATE_DATABASE, sesid, 0, grbit, 0, 0, szFilename, NULL);
  if (err >= 0 && pdbid) *pdbid = (JET_DBID)value(&c, 0);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetEndSession(JET_SESID sesid, JET_GRBIT grbit) {
  return simple(API_END_SESSION, sesid, 0, grbit);
}

static size_t wlen(const WCHAR *s, const WCHAR *end) {
  size_t n = 0;
  while (s + n < end && s[n]) n++;
  return n;
}

/*
 * The host answers one handle per instance in `values`, and in `data`, per instance, its name and its
 * databases as a multi-string ("name\0db1\0db2\0\0"). The result is one block, freed by JetFreeBuffer.
 */
SHIM_EXPORT JET_ERR JET_API JetGetInstanceInfoW(JET_ULONG *pcInstanceInfo, JET_INSTANCE_INFO_W **paInstanceInfo) {
  if (!pcInstanceInfo || !paInstanceInfo) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run(&c, API_INSTANCE_INFO, 0, 0, 0, 0, 0, NULL, NULL);
  if (err < 0) { release(&c); return err; }
  const WCHAR *w = (const WCHAR *)c.data, *end = w + c.cbdata / sizeof(WCHAR);
  size_t nstrings = 0;
  for (const WCHAR *p = w; p < end; p++) nstrings += *p == 0;
  size_t n = c.cvalues;
  size_t size = n * sizeof(JET_INSTANCE_INFO_W) + (nstrings + n) * sizeof(WCHAR *) + c.cbdata;
  uint8_t *block = calloc(1, size ? size : 1);
  if (!block) { release(&c); return JET_errOutOfMemory; }
  JET_INSTANCE_INFO_W *infos = (JET_INSTANCE_INFO_W *)block;
  WCHAR **ptrs = (WCHAR **)(infos + n);
  WCHAR *strings = (WCHAR *)(ptrs + nstrings + n);
  if (c.cbdata) memcpy(strings, c.data, c.cbdata);
  const WCHAR *sEnd = strings + c.cbdata / sizeof(WCHAR);
  WCHAR *s = strings;
  for (size_t i = 0; i < n; i++) {
    infos[i].hInstanceId = (JET_INSTANCE)c.values[i];
    infos[i].szInstanceName = s;
    s += wlen(s, sEnd) + 1;
    infos[i].szDatabaseFileName = ptrs;
    while (s < sEnd && *s) {
      *ptrs++ = s;
      infos[i].cDatabases++;
      s += wlen(s, sEnd) + 1;
    }
    s++; /* the list's final NUL */
    *ptrs++ = NULL;
  }
  *pcInstanceInfo = (JET_ULONG)n;
  *paInstanceInfo = infos;
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetFreeBuffer(char *pbBuf) {
  free(pbBuf);
  return 0;
}

SHIM_EXPORT JET_ERR JET_API JetOpenDatabaseW(JET_SESID sesid, const WCHAR *szFilename, const WCHAR *szConnect, JET_DBID *pdbid, JET_GRBIT grbit) {
  (void)szConnect;
  if (!pdbid) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run(&c, API_OPEN_DATABASE, sesid, 0, grbit, 0, 0, szFilename, NULL);
  if (err >= 0) *pdbid = (JET_DBID)value(&c, 0);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetCloseDatabase(JET_SESID sesid, JET_DBID dbid, JET_GRBIT grbit) {
  return simple(API_CLOSE_DATABASE, sesid, dbid, grbit);
}

/* Appends `s` (NULL as empty) and the separator U+0001 to the packed argument string. */
static WCHAR *pack(WCHAR *out, const WCHAR *s) {
  if (s) while (*s) *out++ = *s++;
  *out++ = 1;
  return out;
}

static size_t wlen0(const WCHAR *s) {
  size_t n = 0;
  if (s) while (s[n]) n++;
  return n;
}

/*
 * The host receives the string arguments packed into one string, each followed by U+0001: checkpoint path,
 * log path, backup log path, target instance name, target log path, target checkpoint path, base name, then
 * each JET_RSTMAP_W pair; genLow and genHigh travel as grbit and cb.
 */
SHIM_EXPORT JET_ERR JET_API JetExternalRestore2W(const WCHAR *szCheckpointFilePath, const WCHAR *szLogPath, const JET_RSTMAP_W *rgrstmap,
                                                 int32_t crstfilemap, const WCHAR *szBackupLogPath, const JET_LOGINFO_W *pLogInfo,
                                                 const WCHAR *szTargetInstanceName, const WCHAR *szTargetInstanceLogPath,
                                                 const WCHAR *szTargetInstanceCheckpointPath, void *pfn) {
  (void)pfn;
  if (!pLogInfo || pLogInfo->cbSize != sizeof(JET_LOGINFO_W) || crstfilemap < 0 || (crstfilemap > 0 && !rgrstmap)) return JET_errInvalidParameter;
  WCHAR base[4] = {0};
  memcpy(base, pLogInfo->szBaseName, 3 * sizeof(WCHAR));
  const WCHAR *fields[] = { szCheckpointFilePath, szLogPath, szBackupLogPath, szTargetInstanceName, szTargetInstanceLogPath, szTargetInstanceCheckpointPath, base };
  size_t n = 1;
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) n += wlen0(fields[i]) + 1;
  for (int32_t i = 0; i < crstfilemap; i++) n += wlen0(rgrstmap[i].szDatabaseName) + wlen0(rgrstmap[i].szNewDatabaseName) + 2;
  WCHAR *packed = calloc(n, sizeof(WCHAR));
  if (!packed) return JET_errOutOfMemory;
  WCHAR *p = packed;
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) p = pack(p, fields[i]);
  for (int32_t i = 0; i < crstfilemap; i++) p = pack(pack(p, rgrstmap[i].szDatabaseName), rgrstmap[i].szNewDatabaseName);
  *p = 0;
  call c = {0};
  JET_ERR err = run(&c, API_EXTERNAL_RESTORE, 0, 0, pLogInfo->ulGenLow, pLogInfo->ulGenHigh, 0, packed, NULL);
  release(&c);
  free(packed);
  return err;
}
