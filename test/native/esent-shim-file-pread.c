/*
 * esent-shim, the backup file calls of the pread build (-DSHIM_FILE_READ_PREAD; included by esent-shim.c):
 * JetOpenFileInstanceW, JetReadFileInstance and JetCloseFileInstance open(), pread() and close() the named
 * file in C, with no trampoline into JavaScript, so `npm run bench:ffi` measures what the koffi binding
 * costs on top of a read at C speed. Begin, GetAttachInfo, End, Stop and the rest still go to the host.
 *
 * What it keeps of ESE's contract (the order of esent.dll's checks): no session -> -520; stopped -> -801
 * (the session is marked by a successful JetStopBackupInstance; a read already in pread completes with its
 * bytes, the next call answers -801); a NULL or misaligned pv -> -1003; an unknown handle -> -1003. Close
 * works after a stop. What it does not: ESE's page checksum verification as it streams a database, and
 * the rule that the logs come after the databases — this build serves benchmarks and the pread tests,
 * never the conformance suite (which runs over the default build).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREAD_SESSIONS 64
#define PREAD_FILES 256

typedef struct { JET_INSTANCE instance; int active, stopped; } pread_session;
typedef struct { int used; JET_INSTANCE instance; int fd; uint64_t pos; } pread_file;

static pthread_mutex_t g_pread_lock = PTHREAD_MUTEX_INITIALIZER;
static pread_session g_sessions[PREAD_SESSIONS];
static pread_file g_files[PREAD_FILES];

/* The session of `instance` (creating it when `create`), under g_pread_lock. */
static pread_session *find_session(JET_INSTANCE instance, int create) {
  pread_session *free_slot = NULL;
  for (int i = 0; i < PREAD_SESSIONS; i++) {
    if (g_sessions[i].instance == instance && (g_sessions[i].active || g_sessions[i].stopped)) return &g_sessions[i];
    if (!free_slot && !g_sessions[i].active && !g_sessions[i].stopped) free_slot = &g_sessions[i];
  }
  if (!create || !free_slot) return NULL;
  free_slot->instance = instance;
  return free_slot;
}

static void close_files_of(JET_INSTANCE instance) {
  for (int i = 0; i < PREAD_FILES; i++) {
    if (g_files[i].used && g_files[i].instance == instance) {
      close(g_files[i].fd);
      g_files[i].used = 0;
    }
  }
}

static void file_session_begin(JET_INSTANCE instance) {
  pthread_mutex_lock(&g_pread_lock);
  close_files_of(instance); /* a new Begin ends the old session (the host answered it) */
  pread_session *s = find_session(instance, 1);
  if (s) { s->active = 1; s->stopped = 0; }
  pthread_mutex_unlock(&g_pread_lock);
}

static void file_session_stop(JET_INSTANCE instance) {
  pthread_mutex_lock(&g_pread_lock);
  pread_session *s = find_session(instance, 0);
  if (s && s->active) s->stopped = 1;
  pthread_mutex_unlock(&g_pread_lock);
}

static void file_session_end(JET_INSTANCE instance) {
  pthread_mutex_lock(&g_pread_lock);
  close_files_of(instance);
  pread_session *s = find_session(instance, 0);
  if (s) { s->active = 0; s->stopped = 0; }
  pthread_mutex_unlock(&g_pread_lock);
}

/* -520 without a session, -801 after a stop (unless `after_stop_ok`), else 0; under g_pread_lock. */
static JET_ERR session_check(JET_INSTANCE instance, int after_stop_ok) {
  pread_session *s = find_session(instance, 0);
  if (!s || !s->active) return JET_errNoBackup;
  if (s->stopped && !after_stop_ok) return JET_errBackupAbortByServer;
  return 0;
}

/* UTF-16 -> UTF-8 into out[cap]; 0 on success, -1 when it does not fit or a surrogate is lone. */
static int utf16_to_utf8(const WCHAR *s, char *out, size_t cap) {
  size_t n = 0;
  for (; *s; s++) {
    uint32_t c = *s;
    if (c >= 0xd800 && c < 0xdc00) {
      if (s[1] < 0xdc00 || s[1] >= 0xe000) return -1;
      c = 0x10000 + ((c - 0xd800) << 10) + (s[1] - 0xdc00);
      s++;
    } else if (c >= 0xdc00 && c < 0xe000) {
      return -1;
    }
    int len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (n + len >= cap) return -1;
    if (len == 1) out[n++] = (char)c;
    else {
      out[n++] = (char)(len == 2 ? 0xc0 | (c >> 6) : len == 3 ? 0xe0 | (c >> 12) : 0xf0 | (c >> 18));
      for (int k = len - 2; k >= 0; k--) out[n++] = (char)(0x80 | ((c >> (6 * k)) & 0x3f));
    }
  }
  out[n] = 0;
  return 0;
}

SHIM_EXPORT JET_ERR JET_API JetOpenFileInstanceW(JET_INSTANCE instance, const WCHAR *szFileName, JET_HANDLE *phfFile,
                                                 JET_ULONG *pulFileSizeLow, JET_ULONG *pulFileSizeHigh) {
  char path[4096];
  pthread_mutex_lock(&g_pread_lock);
  JET_ERR err = session_check(instance, 0);
  pthread_mutex_unlock(&g_pread_lock);
  if (err < 0) return err;
  if (!szFileName || !phfFile || utf16_to_utf8(szFileName, path, sizeof path) != 0) return JET_errInvalidParameter;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? JET_errFileNotFound : JET_errFileAccessDenied;
  struct stat st;
  if (fstat(fd, &st) != 0) { close(fd); return JET_errDiskIO; }
  pthread_mutex_lock(&g_pread_lock);
  err = session_check(instance, 0);
  int slot = -1;
  for (int i = 0; err >= 0 && i < PREAD_FILES; i++) {
    if (!g_files[i].used) { slot = i; break; }
  }
  if (err >= 0 && slot < 0) err = JET_errOutOfMemory;
  if (err >= 0) g_files[slot] = (pread_file){ 1, instance, fd, 0 };
  pthread_mutex_unlock(&g_pread_lock);
  if (err < 0) { close(fd); return err; }
  uint64_t size = (uint64_t)st.st_size;
  *phfFile = (JET_HANDLE)(slot + 1);
  if (pulFileSizeLow) *pulFileSizeLow = (JET_ULONG)(size & 0xffffffffu);
  if (pulFileSizeHigh) *pulFileSizeHigh = (JET_ULONG)(size >> 32);
  return 0;
}

/* The open file `h` of `instance`, or NULL; under g_pread_lock. */
static pread_file *find_file(JET_INSTANCE instance, JET_HANDLE h) {
  if (h < 1 || h > PREAD_FILES) return NULL;
  pread_file *f = &g_files[h - 1];
  return f->used && f->instance == instance ? f : NULL;
}

/* pread until cb bytes or the end of the file; the byte count, or -1 (errno set). */
static int64_t pread_full(int fd, void *pv, uint64_t cb, uint64_t pos) {
  uint64_t done = 0;
  while (done < cb) {
    ssize_t n = pread(fd, (uint8_t *)pv + done, cb - done, (off_t)(pos + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += (uint64_t)n;
  }
  return (int64_t)done;
}

SHIM_EXPORT JET_ERR JET_API JetReadFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile, void *pv, JET_ULONG cb, JET_ULONG *pcbActual) {
  pthread_mutex_lock(&g_pread_lock);
  JET_ERR err = session_check(instance, 0);
  /* esent.dll checks pv against the page commit granularity, after its session checks */
  if (err >= 0 && (pv == NULL || ((uintptr_t)pv & 4095u) != 0)) err = JET_errInvalidParameter;
  pread_file *f = err >= 0 ? find_file(instance, hfFile) : NULL;
  if (err >= 0 && !f) err = JET_errInvalidParameter;
  int fd = f ? f->fd : -1;
  uint64_t pos = f ? f->pos : 0;
  pthread_mutex_unlock(&g_pread_lock);
  if (err < 0) return err;
  if (SHIM_CALL_STACK_KIB && !use_stack(SHIM_CALL_STACK_KIB)) return SHIM_ERR_MAIN_THREAD;
  int64_t n = pread_full(fd, pv, cb, pos);
  if (n < 0) return JET_errDiskIO;
  pthread_mutex_lock(&g_pread_lock);
  if (find_file(instance, hfFile) == f && f->fd == fd) f->pos = pos + (uint64_t)n;
  pthread_mutex_unlock(&g_pread_lock);
  if (pcbActual) *pcbActual = (JET_ULONG)n;
  return 0;
}

SHIM_EXPORT JET_ERR JET_API JetCloseFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile) {
  pthread_mutex_lock(&g_pread_lock);
  JET_ERR err = session_check(instance, 1);
  pread_file *f = err >= 0 ? find_file(instance, hfFile) : NULL;
  if (err >= 0 && !f) err = JET_errInvalidParameter;
  if (f) { close(f->fd); f->used = 0; }
  pthread_mutex_unlock(&g_pread_lock);
  return err;
}

/**
 * The benchmark's baseline: read the file at `path` (UTF-8) from start to end with pread, `cb` bytes at a
 * time into `pv` (the same buffer every time), as a C program would. Returns the bytes read, or -errno.
 */
SHIM_EXPORT int64_t shim_native_read_file(const char *path, void *pv, uint32_t cb) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  uint64_t total = 0;
  for (;;) {
    int64_t n = pread_full(fd, pv, cb, total);
    if (n < 0) { int e = errno; close(fd); return -e; }
    total += (uint64_t)n;
    if ((uint64_t)n < cb) break;
  }
  close(fd);
  return (int64_t)total;
}
