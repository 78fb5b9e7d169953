/*
 * esent-shim, the backup file calls in the default build (included by esent-shim.c): Open, Read and Close
 * trampolined into the host like every other call, so the embedded engine opens, verifies and reads.
 */

/* Session hooks of the pread build (esent-shim-file-pread.c); here the host keeps all the state. */
static void file_session_begin(JET_INSTANCE instance) { (void)instance; }
static void file_session_stop(JET_INSTANCE instance) { (void)instance; }
static void file_session_end(JET_INSTANCE instance) { (void)instance; }

SHIM_EXPORT JET_ERR JET_API JetOpenFileInstanceW(JET_INSTANCE instance, const WCHAR *szFileName, JET_HANDLE *phfFile,
                                                 JET_ULONG *pulFileSizeLow, JET_ULONG *pulFileSizeHigh) {
  call c = {0};
  JET_ERR err = run(&c, API_OPEN, instance, 0, 0, 0, 0, szFileName, NULL);
  if (err >= 0) {
    uint64_t size = value(&c, 1);
    if (phfFile) *phfFile = (JET_HANDLE)value(&c, 0);
    if (pulFileSizeLow) *pulFileSizeLow = (JET_ULONG)(size & 0xffffffffu);
    if (pulFileSizeHigh) *pulFileSizeHigh = (JET_ULONG)(size >> 32);
  }
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetReadFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile, void *pv, JET_ULONG cb, JET_ULONG *pcbActual) {
  call c = {0};
  /* esent.dll checks pv against the page commit granularity, after its session checks */
  int misaligned = pv == NULL || ((uintptr_t)pv & 4095u) != 0;
  if (!misaligned) { c.read_pv = pv; c.read_cb = cb; }
  JET_ERR err = run(&c, API_READ, instance, hfFile, 0, cb, misaligned ? FLAG_MISALIGNED : 0, NULL, NULL);
  if (err >= 0 && pcbActual) *pcbActual = (JET_ULONG)value(&c, 0);
  release(&c);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetCloseFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile) {
  return simple(API_CLOSE, instance, hfFile, 0);
}
