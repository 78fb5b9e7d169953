import { readSignKey } from '../backup/index.js';
import { UsageError } from './usage-error.js';

/**
 * Reads `--sign-key FILE`: the key's bytes (a regular file of 16 bytes to 64 KiB, no symlink).
 *
 * @throws UsageError naming the file and why it cannot be used.
 */
export async function readSignKeyOption(file: string): Promise<Uint8Array> {
  try {
    return await readSignKey(file);
  } catch (e) {
    throw new UsageError(`--sign-key: ${(e as Error).message}`);
  }
}
