import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  check,
  isJetError,
  JET_bit,
  JET_err,
  JET_errDescription,
  JET_instanceNil,
  JetApiName,
  JetError,
  jetErrDescription,
  jetErrName,
} from '../../src/jet/index.js';
import { eseRealDir } from '../engine/format/ese-fixtures.js';

// The contract's own tables are the oracle: every code and grbit it lists must be ours, with its value.
const reference = readFileSync(join(eseRealDir(), '..', '..', 'reference', 'ese-streaming-backup.md'), 'utf8');

describe('JET vocabulary', () => {
  it('has every code of the reference §4 table with its value', () => {
    const rows = [...reference.matchAll(/\|\s*JET_err(\w+)\s*\|\s*(-?\d+)\s*\|/g)];
    expect(rows.length).toBeGreaterThan(30);
    for (const [, name, value] of rows) {
      expect(JET_err[name as keyof typeof JET_err], `JET_err${name}`).toBe(Number(value));
      expect(jetErrName(Number(value))).toBe(`JET_err${name}`);
    }
  });

  it('has the grbits of the reference §4 with their values', () => {
    const section = reference.slice(reference.indexOf('Grbits:'), reference.indexOf('## 5.'));
    const pairs = [...section.matchAll(/`?JET_bit(\w+)`?\s+(0x[0-9a-fA-F]+)/g)];
    expect(pairs.length).toBeGreaterThanOrEqual(8);
    for (const [, name, value] of pairs) expect(JET_bit[name as keyof typeof JET_bit], `JET_bit${name}`).toBe(Number(value));
    expect(JET_instanceNil).toBe(2n ** 64n - 1n);
  });

  it('describes every code in one line', () => {
    for (const name of Object.keys(JET_err) as Array<keyof typeof JET_err>) {
      expect(JET_errDescription[name]).toMatch(/^[^\n]{5,}$/);
      expect(jetErrDescription(JET_err[name])).toBe(JET_errDescription[name]);
    }
    expect(jetErrName(-4242)).toBe('JET_err(-4242)');
    expect(jetErrDescription(-4242)).toBeUndefined();
  });

  it('JetError carries the number, the ESE name, the call and the file', () => {
    const e = new JetError(JetApiName.readFile, JET_err.BackupAbortByServer, { file: 'C:\\db\\x.edb' });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({
      name: 'JetError',
      err: -801,
      code: 'JET_errBackupAbortByServer',
      api: 'JetReadFileInstance',
      file: 'C:\\db\\x.edb',
    });
    expect(e.message).toMatch(/^JetReadFileInstance: JET_errBackupAbortByServer \(-801\)/);
    expect(isJetError(e, -801)).toBe(true);
    expect(isJetError(e, -520)).toBe(false);
    expect(isJetError(new Error('x'))).toBe(false);
  });

  it('check() throws for negative codes only (ESE warnings are positive)', () => {
    expect(() => check('JetTerm2', 0)).not.toThrow();
    expect(() => check('JetTerm2', 1)).not.toThrow();
    expect(() => check('JetTerm2', JET_err.BackupInProgress)).toThrowError(/JetTerm2: JET_errBackupInProgress \(-505\)/);
  });
});
