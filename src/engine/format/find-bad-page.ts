import { dataPageFault, PageFault } from './data-page-fault.js';
import { ESE_PAGE_SIZES } from './ese-format.js';
import { headerXor } from './header-checksum.js';
import { ownPageKernel, WASM_SLICE_BYTES, wasmPageKernel, type WasmPageKernel } from './page-checksum-wasm.js';
import { copyWords, HOST_IS_LITTLE_ENDIAN } from './word-view.js';

/**
 * Verifies a run of whole pages of a database file as ESE streams it and returns the index, relative
 * to the start of `buffer`, of the first bad page, or -1 when every page is valid.
 *
 * ESE rule (reference §6): file page `i` is the header (`i = 0`) or its shadow (`i = 1`), checked with
 * the seeded XOR of the whole page; every later page is data page `pgno = i − 1`, checked as
 * {@link verifyDataPage} does (all-zero pages are valid). A streamed copy ends with a trailer page in
 * header format: pass its file index as `trailerPageIndex` when it may be inside `buffer`.
 *
 * Runs on every byte of a backup, so data pages go through the WebAssembly SIMD kernel
 * (`page-checksum-wasm.ts`) where the runtime has one: in place for a buffer from `allocateBackupBuffer`,
 * else copied into the kernel's memory (about 4× the JavaScript kernel's throughput, copy included);
 * through {@link findBadPageJs} otherwise. Every path gives the same answer for every input. No
 * allocation per page, no BigInt, any byteOffset.
 *
 * @param buffer whole pages (`buffer.length` a multiple of `pageSize`).
 * @param firstPageIndex file page index of `buffer[0]` (0 for the start of the file).
 * @param pageSize 4096, 8192, 16384 or 32768.
 * @param trailerPageIndex file page index of the trailer page (default: none).
 * @throws RangeError on a page size ESE does not use, a partial page or a negative index.
 * @example
 * const bad = findBadPage(chunk, offset / pageSize, pageSize);
 * if (bad >= 0) throw new JetError('JetReadFileInstance', JET_err.ReadVerifyFailure);
 */
export function findBadPage(buffer: Uint8Array, firstPageIndex: number, pageSize: number, trailerPageIndex = -1): number {
  checkArguments(buffer, firstPageIndex, pageSize);
  const own = ownPageKernel(buffer);
  if (own) return findBadPageWasm(own, true, buffer, firstPageIndex, pageSize, trailerPageIndex);
  const kernel = wasmPageKernel();
  return kernel
    ? findBadPageWasm(kernel, false, buffer, firstPageIndex, pageSize, trailerPageIndex)
    : findBadPageJs(buffer, firstPageIndex, pageSize, trailerPageIndex);
}

function checkArguments(buffer: Uint8Array, firstPageIndex: number, pageSize: number): void {
  if (!(ESE_PAGE_SIZES as readonly number[]).includes(pageSize)) {
    throw new RangeError(`pageSize must be 4096, 8192, 16384 or 32768, got ${pageSize}`);
  }
  if (buffer.length % pageSize !== 0) {
    throw new RangeError(`buffer length ${buffer.length} is not a multiple of the page size ${pageSize}`);
  }
  if (!Number.isSafeInteger(firstPageIndex) || firstPageIndex < 0) {
    throw new RangeError(`firstPageIndex must be a non-negative integer, got ${firstPageIndex}`);
  }
}

/**
 * {@link findBadPage} with the WebAssembly kernel: runs of data pages are checked where they lie when
 * `buffer` is in the kernel's memory (`inPlace`, a buffer from `allocateBackupBuffer`), else copied into
 * the kernel's scratch memory a slice at a time. The kernel only accepts; the header, shadow and trailer
 * pages, and any data page it does not accept (old checksum format, or damaged), are decided by the
 * JavaScript kernel on the caller's bytes, so every path gives the same answer by construction.
 */
function findBadPageWasm(
  kernel: WasmPageKernel,
  inPlace: boolean,
  buffer: Uint8Array,
  firstPageIndex: number,
  pageSize: number,
  trailerPageIndex: number,
): number {
  const pages = buffer.length / pageSize;
  const pageWords = pageSize >>> 2;
  const runPages = inPlace ? pages : WASM_SLICE_BYTES / pageSize;
  const trailer = trailerPageIndex - firstPageIndex;
  for (let i = 0; i < pages;) {
    const index = firstPageIndex + i;
    if (index < 2 || i === trailer) {
      if (!pageOk(copyWords(buffer, i * pageSize, pageSize), 0, pageWords, index, trailerPageIndex)) return i;
      i++;
      continue;
    }
    // A run of data pages: up to the trailer, the end of the buffer, or one slice of scratch memory.
    const end = Math.min(pages, i + runPages, trailer > i ? trailer : pages);
    const count = end - i;
    let base = 0;
    if (inPlace) base = buffer.byteOffset + i * pageSize;
    else kernel.bytes.set(buffer.subarray(i * pageSize, end * pageSize));
    for (let at = 0; at < count;) {
      const rejected = at + kernel.dataPages(base + at * pageSize, count - at, pageSize, index - 1 + at);
      if (rejected === count) break;
      const words = copyWords(buffer, (i + rejected) * pageSize, pageSize);
      if (dataPageFault(words, 0, pageWords, index - 1 + rejected) !== PageFault.none) return i + rejected;
      at = rejected + 1;
    }
    i = end;
  }
  return -1;
}

/** {@link findBadPage} with the JavaScript kernel only: the fallback, and the oracle of the tests. */
export function findBadPageJs(buffer: Uint8Array, firstPageIndex: number, pageSize: number, trailerPageIndex = -1): number {
  checkArguments(buffer, firstPageIndex, pageSize);
  const pages = buffer.length / pageSize;
  const pageWords = pageSize >>> 2;
  if (HOST_IS_LITTLE_ENDIAN && (buffer.byteOffset & 3) === 0) {
    const words = new Int32Array(buffer.buffer, buffer.byteOffset, pages * pageWords);
    for (let i = 0; i < pages; i++) {
      if (!pageOk(words, i * pageWords, pageWords, firstPageIndex + i, trailerPageIndex)) return i;
    }
    return -1;
  }
  for (let i = 0; i < pages; i++) {
    const words = copyWords(buffer, i * pageSize, pageSize);
    if (!pageOk(words, 0, pageWords, firstPageIndex + i, trailerPageIndex)) return i;
  }
  return -1;
}

/** Checks file page `index` found at `words[start .. start + count)`. */
export function pageOk(words: Int32Array, start: number, count: number, index: number, trailerPageIndex: number): boolean {
  if (index < 2 || index === trailerPageIndex) return headerXor(words, start, count) === words[start]! >>> 0;
  return dataPageFault(words, start, count, index - 1) === 0;
}
