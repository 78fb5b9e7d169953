/**
 * `promise`, or a rejection after `ms`: a listing whose consumer lost its server (a restart during
 * `kv.keys()`) can otherwise wait forever, and a resync that never ends would block every later one.
 */
export async function within<T>(ms: number, what: string, promise: Promise<T>, onTimeout: () => void = () => {}): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          onTimeout();
          reject(new Error(`fleet: ${what} did not answer within ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
