import { setDataPageChecksum, setHeaderChecksum } from '../../../src/engine/format/page-checksum.js';
import { EseFileType, EseOffset, ESE_DATABASE_FORMAT_VERSION, ESE_SIGNATURE } from '../../../src/engine/format/ese-format.js';
import { seeded } from './ese-fixtures.js';

/**
 * A synthetic database file image that verifies: header and shadow (seeded XOR), `dataPages` data
 * pages of random content with ECC checksums (every fifth one left all zero, never written), and,
 * when `streamed`, one trailer page in header format.
 */
export function databaseImage(pageSize: number, dataPages: number, options: { seed?: number; streamed?: boolean } = {}): Uint8Array {
  const random = seeded(options.seed ?? pageSize);
  const pages = 2 + dataPages + (options.streamed ? 1 : 0);
  const image = new Uint8Array(pages * pageSize);
  const view = new DataView(image.buffer);
  for (const index of options.streamed ? [0, 1, pages - 1] : [0, 1]) {
    const at = index * pageSize;
    random.fill(image.subarray(at + 4, at + 2048));
    view.setUint32(at + EseOffset.dbSignature, ESE_SIGNATURE, true);
    view.setUint32(at + EseOffset.dbFormatVersion, ESE_DATABASE_FORMAT_VERSION, true);
    view.setUint32(at + EseOffset.dbState, 3, true);
    view.setUint32(at + EseOffset.dbPageSize, pageSize, true);
    view.setUint32(at + EseOffset.fileType, EseFileType.database, true);
    setHeaderChecksum(image.subarray(at, at + pageSize));
  }
  for (let index = 2; index < 2 + dataPages; index++) {
    if (index % 5 === 0) continue;
    const page = image.subarray(index * pageSize, (index + 1) * pageSize);
    random.fill(page);
    setDataPageChecksum(page, index - 1);
  }
  return image;
}
