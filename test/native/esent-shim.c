/*
 * esent-shim: a shared library with esent.dll's exports and C types, whose semantics are the embedded
 * engine's. Each Jet* function is a trampoline: it hands its arguments to a host callback registered
 * from JavaScript (test/native/esent-shim-host.ts), which starts the engine call and returns at once;
 * the function then waits on a condition variable until JavaScript calls shim_complete() with the
 * results, and copies them into the caller's out-parameters and buffers before returning.
 *
 * So every byte the koffi binding sees has crossed a real C ABI: JET_ERR as int32, esent.h's
 * `unsigned long` as uint32 (as on every Windows ABI), JET_INSTANCE/JET_HANDLE as uintptr_t, UTF-16 names
 * and double-NUL lists, 64-bit sizes split into two halves, reads into the caller's aligned buffer.
 *
 * Threads: the binding calls every function on a koffi worker thread (.async) except
 * JetStopBackupInstance, which it calls on the main thread; its host callback answers at once. A call
 * on the main thread that the host cannot answer at once fails with SHIM_ERR_MAIN_THREAD instead of
 * waiting for the event loop it is blocking.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esent-shim.h"

typedef int32_t (*shim_host_fn)(uint64_t id, int32_t api, uint64_t instance, uint64_t arg, uint64_t arg2, uint32_t grbit, uint32_t cb,
                                uint32_t flags, const WCHAR *text, const WCHAR *text2, const void *data);

typedef struct call {
  uint64_t id;
  int done;
  int32_t err;
  uint64_t *values;
  uint32_t cvalues;
  uint8_t *data;
  uint32_t cbdata;
  void *read_pv; /* JetReadFileInstance: shim_complete copies straight into the caller's buffer */
  uint32_t read_cb;
  pthread_cond_t cond;
  struct call *next;
} call;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static shim_host_fn g_host;
static pthread_t g_main;
static uint64_t g_next_id = 1;
static call *g_calls;

/** Register the host (from the JavaScript main thread), or unregister it with NULL. */
SHIM_EXPORT void shim_register(shim_host_fn host) {
  pthread_mutex_lock(&g_lock);
  g_host = host;
  g_main = pthread_self();
  pthread_mutex_unlock(&g_lock);
}

/** A trivial export for the FFI overhead benchmark. */
SHIM_EXPORT uint32_t shim_nop(uint32_t x) { return x + 1; }

/**
 * Use `kib` KiB of the calling thread's stack, touching every 512 bytes (as ESE's page-sized locals and
 * log recovery do): past the end of the stack this is the access violation that kills the process.
 */
__attribute__((noinline)) static uint32_t use_stack(uint32_t kib) {
  volatile uint8_t frame[(size_t)kib * 1024];
  /* from the top down, a page at a time, as Windows' __chkstk probes: the first page past the end of the
     stack is its guard page, so an overflow faults there rather than writing into another mapping */
  for (size_t i = sizeof frame; i >= 512; i -= 512) frame[i - 1] = (uint8_t)i;
  uint32_t sum = 0;
  for (size_t i = 0; i < sizeof frame; i += 4096) sum += frame[i];
  return sum + 1;
}

/** Export for the stack tests: returns a non-zero value after using `kib` KiB of stack. */
SHIM_EXPORT uint32_t shim_stack_probe(uint32_t kib) { return kib ? use_stack(kib) : 1; }

#ifndef SHIM_CALL_STACK_KIB
#define SHIM_CALL_STACK_KIB 0 /* a build with -DSHIM_CALL_STACK_KIB=N uses N KiB of stack in every Jet* call */
#endif

/**
 * Deliver the results of call `id`: its JET_ERR, scalar results, and bytes (a list, or the bytes read).
 * Unknown ids (a call given up on) are ignored.
 */
SHIM_EXPORT void shim_complete(uint64_t id, int32_t err, const uint64_t *values, uint32_t cvalues, const uint8_t *data, uint32_t cbdata) {
  pthread_mutex_lock(&g_lock);
  call *c = g_calls;
  while (c && c->id != id) c = c->next;
  if (c && !c->done) {
    c->err = err;
    if (cvalues && values) {
      c->values = malloc(cvalues * sizeof *values);
      if (c->values) { memcpy(c->values, values, cvalues * sizeof *values); c->cvalues = cvalues; }
    }
    if (c->read_pv) {
      uint32_t n = cbdata < c->read_cb ? cbdata : c->read_cb;
      if (n && data) memcpy(c->read_pv, data, n);
    } else if (cbdata && data) {
      c->data = malloc(cbdata);
      if (c->data) { memcpy(c->data, data, cbdata); c->cbdata = cbdata; }
    }
    c->done = 1;
    pthread_cond_signal(&c->cond);
  }
  pthread_mutex_unlock(&g_lock);
}

static void unlink_call(call *c) {
  for (call **p = &g_calls; *p; p = &(*p)->next) {
    if (*p == c) { *p = c->next; break; }
  }
}

/**
 * Hand a call to the host and wait for its completion. Returns its JET_ERR; results stay in *c. `data` (cb
 * bytes, e.g. a column value) is read by the host before it returns.
 */
static JET_ERR run_data(call *c, int32_t api, uint64_t instance, uint64_t arg, uint64_t arg2, uint32_t grbit, uint32_t cb, uint32_t flags,
                        const WCHAR *text, const WCHAR *text2, const void *data) {
  if (SHIM_CALL_STACK_KIB && !use_stack(SHIM_CALL_STACK_KIB)) return SHIM_ERR_MAIN_THREAD;
  pthread_cond_init(&c->cond, NULL);
  pthread_mutex_lock(&g_lock);
  shim_host_fn host = g_host;
  int on_main = host && pthread_equal(pthread_self(), g_main);
  c->id = g_next_id++;
  c->next = g_calls;
  g_calls = c;
  pthread_mutex_unlock(&g_lock);
  if (!host) {
    pthread_mutex_lock(&g_lock);
    unlink_call(c);
    pthread_mutex_unlock(&g_lock);
    return SHIM_ERR_NO_HOST;
  }
  int32_t status = host(c->id, api, instance, arg, arg2, grbit, cb, flags, text, text2, data);
  pthread_mutex_lock(&g_lock);
  if (status == SHIM_PENDING && !c->done && !on_main) {
    while (!c->done) pthread_cond_wait(&c->cond, &g_lock);
  }
  JET_ERR err = status != SHIM_PENDING ? status : c->done ? c->err : SHIM_ERR_MAIN_THREAD;
  unlink_call(c);
  pthread_mutex_unlock(&g_lock);
  pthread_cond_destroy(&c->cond);
  return err;
}

static JET_ERR run(call *c, int32_t api, uint64_t instance, uint64_t arg, uint32_t grbit, uint32_t cb, uint32_t flags,
                   const WCHAR *text, const WCHAR *text2) {
  return run_data(c, api, instance, arg, 0, grbit, cb, flags, text, text2, NULL);
}

static void release(call *c) {
  free(c->values);
  free(c->data);
}

static uint64_t value(const call *c, uint32_t i) { return i < c->cvalues ? c->values[i] : 0; }

/**
 * The W list contract, as backup.cxx has it: copy min(cbMax, size) bytes (silently truncated: a list cut
 * short has no final NUL) and report in *pcbActual
 * - GetAttachInfo (ErrBKGetAttachInfo): the full size, buffer or not;
 * - the log lists (ErrBKIGetLogInfo: GetLogInfo, GetLogInfo2, GetTruncateLogInfo): the full size for a
 *   NULL buffer, but min(cbMax, size) when given one — so a list that grew past the buffer looks like a
 *   full buffer without its final NUL, and only the missing NUL tells.
 */
static JET_ERR list_call(int32_t api, JET_INSTANCE instance, WCHAR *szz, JET_ULONG cbMax, JET_ULONG *pcbActual, JET_LOGINFO_W *info) {
  if (info && info->cbSize != sizeof(JET_LOGINFO_W)) return JET_errInvalidParameter;
  call c = {0};
  JET_ERR err = run(&c, api, instance, 0, 0, cbMax, szz ? 0 : FLAG_NULL_BUFFER, NULL, NULL);
  if (err >= 0) {
    uint32_t cblist = info ? (uint32_t)value(&c, 2) : c.cbdata;
    if (cblist > c.cbdata) cblist = c.cbdata;
    uint32_t copied = cblist < cbMax ? cblist : cbMax;
    if (pcbActual) *pcbActual = szz && api != API_ATTACH_INFO ? copied : cblist;
    if (szz) memcpy(szz, c.data, copied);
    if (info) {
      info->ulGenLow = (JET_ULONG)value(&c, 0);
      info->ulGenHigh = (JET_ULONG)value(&c, 1);
      memset(info->szBaseName, 0, sizeof info->szBaseName);
      uint32_t cbname = c.cbdata - cblist;
      if (cbname > 3 * sizeof(WCHAR)) cbname = 3 * sizeof(WCHAR);
      memcpy(info->szBaseName, c.data + cblist, cbname);
    }
  }
  release(&c);
  return err;
}

static JET_ERR simple(int32_t api, JET_INSTANCE instance, uint64_t arg, JET_GRBIT grbit) {
  call c = {0};
  JET_ERR err = run(&c, api, instance, arg, grbit, 0, 0, NULL, NULL);
  release(&c);
  return err;
}

/* The backup file calls: trampolined into the host (default), or open/pread/close in C (a build with
   -DSHIM_FILE_READ_PREAD: the FFI benchmark's test library, so that it measures the binding, not the host). */
#ifdef SHIM_FILE_READ_PREAD
#include "esent-shim-file-pread.c"
#else
#include "esent-shim-file-trampoline.c"
#endif

SHIM_EXPORT JET_ERR JET_API JetBeginExternalBackupInstance(JET_INSTANCE instance, JET_GRBIT grbit) {
  JET_ERR err = simple(API_BEGIN, instance, 0, grbit);
  if (err >= 0) file_session_begin(instance);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetGetAttachInfoInstanceW(JET_INSTANCE instance, WCHAR *szzDatabases, JET_ULONG cbMax, JET_ULONG *pcbActual) {
  return list_call(API_ATTACH_INFO, instance, szzDatabases, cbMax, pcbActual, NULL);
}

SHIM_EXPORT JET_ERR JET_API JetGetLogInfoInstanceW(JET_INSTANCE instance, WCHAR *szzLogs, JET_ULONG cbMax, JET_ULONG *pcbActual) {
  return list_call(API_LOG_INFO, instance, szzLogs, cbMax, pcbActual, NULL);
}

SHIM_EXPORT JET_ERR JET_API JetGetLogInfoInstance2W(JET_INSTANCE instance, WCHAR *szzLogs, JET_ULONG cbMax, JET_ULONG *pcbActual, JET_LOGINFO_W *pLogInfo) {
  return list_call(API_LOG_INFO2, instance, szzLogs, cbMax, pcbActual, pLogInfo);
}

SHIM_EXPORT JET_ERR JET_API JetGetTruncateLogInfoInstanceW(JET_INSTANCE instance, WCHAR *szzLogs, JET_ULONG cbMax, JET_ULONG *pcbActual) {
  return list_call(API_TRUNCATE_INFO, instance, szzLogs, cbMax, pcbActual, NULL);
}

SHIM_EXPORT JET_ERR JET_API JetTruncateLogInstance(JET_INSTANCE instance) { return simple(API_TRUNCATE, instance, 0, 0); }

SHIM_EXPORT JET_ERR JET_API JetEndExternalBackupInstance2(JET_INSTANCE instance, JET_GRBIT grbit) {
  JET_ERR err = simple(API_END, instance, 0, grbit);
  if (err >= 0 || err == JET_errBackupAbortByServer) file_session_end(instance);
  return err;
}

SHIM_EXPORT JET_ERR JET_API JetEndExternalBackupInstance(JET_INSTANCE instance) {
  return JetEndExternalBackupInstance2(instance, 0x1 /* JET_bitBackupEndNormal */);
}

SHIM_EXPORT JET_ERR JET_API JetStopBackupInstance(JET_INSTANCE instance) {
  JET_ERR err = simple(API_STOP_BACKUP, instance, 0, 0);
  if (err >= 0) file_session_stop(instance);
  return err;
}

#ifndef SHIM_OMIT_STOP_SERVICE /* a build without it stands for an esent.dll older than Windows 8 */
SHIM_EXPORT JET_ERR JET_API JetStopServiceInstance2(JET_INSTANCE instance, JET_GRBIT grbit) {
  return simple(API_STOP_SERVICE, instance, 0, grbit);
}
#endif

/* Every esent.dll from Windows XP on: JET_bitStopServiceAll, and the caches quiesced (jetapi.cxx). */
SHIM_EXPORT JET_ERR JET_API JetStopServiceInstance(JET_INSTANCE instance) {
  return simple(API_STOP_SERVICE_OLD, instance, 0, 0 /* JET_bitStopServiceAll */);
}

SHIM_EXPORT JET_ERR JET_API JetTerm2(JET_INSTANCE instance, JET_GRBIT grbit) {
  JET_ERR err = simple(API_TERM, instance, 0, grbit);
  file_session_end(instance);
  return err;
}

#include "esent-shim-instance.c"
#include "esent-shim-table.c"
