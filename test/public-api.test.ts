// The package root's surface, pinned: adding or removing an export must be a deliberate change here.
import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';

const PUBLIC = [
  // vocabulary
  'JET_err',
  'JET_bit',
  'JET_instanceNil',
  'jetErrName',
  'jetErrDescription',
  'JetError',
  'isJetError',
  'check',
  'JetApiName',
  // backends
  'createEmbeddedEngine',
  'allocateBackupBuffer',
  'createEsentBackend',
  'EsentLoadError',
  'JET_param',
  // chart
  'instanceBackup',
  'verdict',
  // coordinator
  'createCoordinator',
  'fromSignals',
  'platformSignals',
  'fromAbortSignal',
  'deadline',
  'fromEmitter',
  'shutdownHook',
  'shutdownExitCode',
  // backup sets
  'runBackup',
  'verifyBackupSet',
  'verifyEseFile',
  'EseFileVerifier',
  'listBackupSets',
  'restoreBackupSet',
  'restoreEsentBackupSet',
  'BackupSetRestoreError',
  'cleanOrphans',
  'BackupSetBusyError',
  'MANIFEST_NAME',
  'parseBackupManifest',
  // fleet
  'joinFleet',
  'connectFleet',
  'fromFleet',
  'fleetStatus',
  'fleetStop',
  'fleetHold',
  'fleetRelease',
  'FleetConnectError',
  'FleetConflictError',
  // inspector
  'createInspector',
  'createTimeline',
  'allowedCalls',
];

describe('the package root', () => {
  it('exports exactly the curated list', () => {
    expect(Object.keys(root).sort()).toEqual([...PUBLIC].sort());
  });

  it('keeps internals out, and does not shadow RxJS', () => {
    const internals = [
      'SerialQueue',
      'isLoopbackHost',
      'stopSourceLabel',
      'decodeMultiString',
      'encodeMultiString',
      'esentPrototypes',
      'jetValues',
      'instanceNil',
      'fromEvent',
      'BackupSetWriter',
    ];
    for (const name of internals) expect(root).not.toHaveProperty(name);
  });

  it('every export is defined (no re-export of a name that is not there)', () => {
    for (const [name, value] of Object.entries(root)) expect(value, name).toBeDefined();
  });
});
