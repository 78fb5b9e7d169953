import { createRequire } from 'node:module';

// The only file that requires koffi, for both users of it: the esent.dll binding (src/esent/) and the
// embedded engine's instance lock (flock through libc). koffi fixes its call stacks when it loads its
// first library, so the configuration below must run before any `koffi.load` in the process, whoever
// loads first (tests that load a library with koffi themselves call `configureKoffiForEsent()` first).

/**
 * Stack of every koffi `.async` call: 1 MiB. koffi's default is 128 KiB (its limit is 16 MiB); ESE puts
 * page-sized buffers (up to 32 KiB) on the stack and runs log recovery inside JetInit, and ManagedEsent's
 * callers run on 1 MiB thread stacks. An overflow is an access violation that kills the process.
 */
export const ESENT_ASYNC_STACK_SIZE = 1024 * 1024;

/**
 * Heap of every koffi `.async` call (arguments marshalled: UTF-16 paths, out-parameters): 256 KiB,
 * twice koffi's default, so a 32 KiB Windows path and its copies fit with room.
 */
export const ESENT_ASYNC_HEAP_SIZE = 256 * 1024;

/**
 * Stack of koffi's synchronous calls: 2 MiB (koffi's default, stated here so it never drops below ESE's
 * 1 MiB). koffi runs a native call on this block, not on the thread's own stack: it is the stack ESE gets
 * in the binding's read worker threads (src/esent/esent-read-worker.ts), which call esent.dll synchronously.
 */
export const ESENT_SYNC_STACK_SIZE = 2 * 1024 * 1024;

type Koffi = typeof import('koffi');

/** koffi loaded a library with a smaller async stack before it could be raised (code `KOFFI_CONFIG`). */
export class KoffiConfigError extends Error {
  readonly code = 'KOFFI_CONFIG';
  override readonly name = 'KoffiConfigError';
}
let koffiModule: Koffi | undefined;
let configured = false;

/**
 * Raise koffi's async stack to `ESENT_ASYNC_STACK_SIZE` (and heap to `ESENT_ASYNC_HEAP_SIZE`) unless it is
 * already at least that. Idempotent; koffi accepts it only before the first library is loaded.
 *
 * @returns koffi's configuration after the call
 * @throws KoffiConfigError when koffi already loaded a library with a smaller stack
 *   (something imported koffi and loaded a library before this package could configure it)
 * @example
 * configureKoffiForEsent(); // before any koffi.load in the process
 */
export function configureKoffiForEsent(): ReturnType<Koffi['config']> {
  const koffi = (koffiModule ??= createRequire(import.meta.url)('koffi') as Koffi);
  const current = koffi.config();
  if (
    configured ||
    ((current.async_stack_size ?? 0) >= ESENT_ASYNC_STACK_SIZE && (current.async_heap_size ?? 0) >= ESENT_ASYNC_HEAP_SIZE)
  ) {
    configured = true;
    return current;
  }
  try {
    koffi.config({
      ...current,
      async_stack_size: Math.max(current.async_stack_size ?? 0, ESENT_ASYNC_STACK_SIZE),
      async_heap_size: Math.max(current.async_heap_size ?? 0, ESENT_ASYNC_HEAP_SIZE),
    });
  } catch (cause) {
    throw new KoffiConfigError(
      `koffi's async stack is ${current.async_stack_size} bytes and can no longer be raised (${(cause as Error).message}); ` +
        `ESE needs ${ESENT_ASYNC_STACK_SIZE} bytes: call configureKoffiForEsent() before anything in this process calls koffi.load`,
      { cause },
    );
  }
  configured = true;
  return koffi.config();
}

/**
 * How a worker thread loads koffi configured as here (each thread has its own koffi, configured before its
 * first load): the module to require and the settings to apply first. Used by the read worker's source.
 */
export function koffiForWorker(): { modulePath: string; config: { sync_stack_size: number } } {
  return { modulePath: createRequire(import.meta.url).resolve('koffi'), config: { sync_stack_size: ESENT_SYNC_STACK_SIZE } };
}

/** koffi, configured for ESE (loaded on first use, so the package root imports on any platform). */
export function loadKoffi(): Koffi {
  configureKoffiForEsent();
  return koffiModule!;
}
