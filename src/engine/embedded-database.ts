import type { JetInstance } from '../jet/index.js';
import type { EmbeddedDatabase } from './embedded-engine-api.js';
import type { DatabaseFile } from './database-file.js';
import type { EmbeddedInstance } from './embedded-instance.js';
import { LogOp } from './log-record.js';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** The data handle `createDatabase` / `attachDatabase` return. `check` validates the instance before each write. */
export function embeddedDatabase(inst: EmbeddedInstance, db: DatabaseFile, check: (api: string) => void): EmbeddedDatabase {
  const validKey = (key: unknown): string => {
    if (typeof key !== 'string') throw new TypeError(`key must be a string, got ${typeof key}`);
    if (key.length === 0 || encoder.encode(key).length > 0xffff) throw new RangeError('key must be 1 to 65535 bytes of UTF-8');
    return key;
  };
  return {
    path: db.path,
    instance: inst.handle as JetInstance,
    async put(key, value) {
      validKey(key);
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw new TypeError('value must be a string or a Uint8Array');
      check('JetSetColumn');
      const bytes = typeof value === 'string' ? encoder.encode(value) : value.slice();
      await inst.write(db, LogOp.put, key, bytes);
    },
    async delete(key) {
      validKey(key);
      check('JetDelete');
      const existed = db.index.get(key)?.value !== undefined;
      if (existed) await inst.write(db, LogOp.delete, key, EMPTY);
      return existed;
    },
    get(key) {
      const v = db.index.get(validKey(key))?.value;
      return v && v.slice(); // callers get their own bytes
    },
    entries() {
      const out: Array<[string, Uint8Array]> = [];
      for (const [k, e] of db.index) if (e.value !== undefined) out.push([k, e.value.slice()]);
      return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    },
    get size() {
      return db.size;
    },
  };
}
