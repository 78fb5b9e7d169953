import { describe, expect, it } from 'vitest';
import { readEseFileHeader } from '../../../src/engine/format/ese-file-header.js';
import { EseOffset } from '../../../src/engine/format/ese-format.js';
import { eseRealFiles, readEseReal } from './ese-fixtures.js';

/** DBFILEHDR/LGFILEHDR signLog of the win10 SRU database and its logs (le_ulRandom, LOGTIME, no computer name). */
const SRU_LOG_SIGNATURE = '4dfd2f142f111605027a630c00000000000000000000000000000000';

// What the fixtures' README says a correct reader finds.
const databases = {
  'museum_win10_rathbunvm_clean_SRUDB.dat': { pageSize: 4096, state: 3, stateName: 'cleanShutdown' },
  'museum_win11_rathbunvm_dirty_SRUDB.dat': { pageSize: 4096, state: 2, stateName: 'dirtyShutdown' },
  'museum_w2012r2_ual_Current.mdb': { pageSize: 4096, state: 2, stateName: 'dirtyShutdown' },
  'goese_qmgr.db': { pageSize: 16384, state: 2, stateName: 'dirtyShutdown' },
  'museum_win10_search_clean_Windows.edb.gz': { pageSize: 32768, state: 3, stateName: 'cleanShutdown' },
  'museum_w2012r2_ntds_temp.edb': { pageSize: 8192, state: 1, stateName: 'justCreated' },
} as const;

describe('readEseFileHeader on real Windows files', () => {
  it('knows every fixture', () => {
    const known = [
      ...Object.keys(databases),
      'museum_win10_rathbunvm_clean_SRU.log',
      'museum_win10_rathbunvm_clean_SRU00008.log',
      'museum_win10_rathbunvm_clean_SRU.chk',
      'museum_w2012r2_ntds_edb.chk',
    ];
    expect(eseRealFiles()).toEqual(known.sort());
  });

  it.each(Object.entries(databases))('%s: database header', (name, expected) => {
    const bytes = readEseReal(name);
    const header = readEseFileHeader(bytes);
    expect(header).toMatchObject({
      fileType: 'database',
      fileTypeCode: 1,
      checksumOk: true,
      signature: 0x89abcdef,
      formatVersion: 0x620,
      ...expected,
    });
    // The shadow (page 1) is a header too.
    expect(readEseFileHeader(bytes.subarray(expected.pageSize))).toMatchObject({ fileType: 'database', checksumOk: true });
  });

  it.each([
    ['museum_win10_rathbunvm_clean_SRU.log', 9],
    ['museum_win10_rathbunvm_clean_SRU00008.log', 8],
  ])('%s: log header at generation %i', (name, generation) => {
    const header = readEseFileHeader(readEseReal(name));
    expect(header).toEqual({
      fileType: 'log',
      fileTypeCode: 3,
      checksumOk: true,
      storedChecksum: header.storedChecksum,
      computedChecksum: header.storedChecksum,
      generation,
      sectorSize: 4096,
      fileSectors: 16,
      pageSize: 4096,
      version: { major: 8, minor: 4000, update: 60 },
      logSignature: SRU_LOG_SIGNATURE,
    });
  });

  it("signLog and the required generations: the clean SRUDB.dat carries its logs' signature; dirty databases name the generations a replay needs", () => {
    expect(readEseFileHeader(readEseReal('museum_win10_rathbunvm_clean_SRUDB.dat'))).toMatchObject({
      logSignature: SRU_LOG_SIGNATURE,
      genMinRequired: 0,
      genMaxRequired: 0,
    });
    expect(readEseFileHeader(readEseReal('museum_win11_rathbunvm_dirty_SRUDB.dat'))).toMatchObject({
      genMinRequired: 92,
      genMaxRequired: 92,
    });
    expect(readEseFileHeader(readEseReal('goese_qmgr.db'))).toMatchObject({ genMinRequired: 23, genMaxRequired: 23 });
  });

  it.each([
    ['museum_win10_rathbunvm_clean_SRU.chk', 9],
    ['museum_w2012r2_ntds_edb.chk', 3],
  ])('%s: checkpoint at generation %i (i32 at offset 16), header and shadow verify', (name, generation) => {
    const bytes = readEseReal(name);
    expect(readEseFileHeader(bytes)).toMatchObject({ fileType: 'checkpoint', fileTypeCode: 4, checksumOk: true, generation });
    expect(new DataView(bytes.buffer, bytes.byteOffset).getInt32(EseOffset.checkpointGeneration, true)).toBe(generation);
    expect(readEseFileHeader(bytes.subarray(4096))).toMatchObject({ fileType: 'checkpoint', checksumOk: true, generation });
  });

  it('reports a damaged header as such', () => {
    const bytes = readEseReal('museum_win10_rathbunvm_clean_SRU.log').slice(0, 4096);
    bytes[100]! ^= 0x10;
    expect(readEseFileHeader(bytes)).toMatchObject({ fileType: 'log', checksumOk: false });
    bytes[EseOffset.fileType] = 9;
    expect(readEseFileHeader(bytes)).toMatchObject({ fileType: 'unknown', fileTypeCode: 9, checksumOk: false });
  });

  it('needs 4096 bytes, and the whole first page of a database', () => {
    expect(() => readEseFileHeader(new Uint8Array(100))).toThrow(RangeError);
    expect(() => readEseFileHeader(readEseReal('goese_qmgr.db').subarray(0, 4096))).toThrow(/16384/);
  });
});
