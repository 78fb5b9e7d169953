// Stately's inspector plugs into createCoordinator({ inspect }) as the README shows: its `inspect`
// observer sees the coordinator's actor system. A recording adapter stands in for the network
// transport only (the browser window or the WebSocket); the inspector itself is the real package.
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCoordinator } from '../../src/coordinator/index.js';
import { JET_bit, type JetInstance } from '../../src/jet/index.js';
import { engineFixture, type EngineFixture } from './recording-api.js';

let fx: EngineFixture;
let inst: JetInstance;
beforeEach(async () => {
  fx = await engineFixture();
  inst = await fx.instance('one');
});
afterEach(() => fx.close());

describe('@statelyai/inspect through createCoordinator({ inspect })', () => {
  it("receives the instance actor, the ESE calls as events and the chart's snapshots", async () => {
    const sent: StatelyInspectionEvent[] = [];
    const inspector = createInspector({ send: (e) => void sent.push(e) });
    const coordinator = createCoordinator({ api: fx.engine, inspect: inspector.inspect });
    const session = coordinator.session(inst);
    await session.beginExternalBackup(inst, 0);
    coordinator.stop(inst, 'maintenance window');
    await session.endExternalBackup(inst, JET_bit.BackupEndAbort);
    // The inspector converts events when the event loop is idle: wait for End's event and the stop's snapshot.
    const stopSeen = () => sent.some((e) => e.type === '@xstate.snapshot' && JSON.stringify(e.snapshot).includes('maintenance window'));
    const endSeen = () => sent.some((e) => e.type === '@xstate.event' && e.event.type === 'END_EXTERNAL_BACKUP');
    await vi.waitFor(() => expect(stopSeen() && endSeen()).toBe(true));
    inspector.stop();

    const actors = sent.filter((e) => e.type === '@xstate.actor').map((e) => e.sessionId);
    expect(actors.length).toBe(1); // one actor per instance (the instance chart)
    const events = sent.flatMap((e) => (e.type === '@xstate.event' ? [e.event.type] : []));
    expect(events).toEqual(expect.arrayContaining(['BEGIN_EXTERNAL_BACKUP', 'STOP_BACKUP', 'END_EXTERNAL_BACKUP']));
  });
});
