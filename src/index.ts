// The public API: each layer's index re-exports its public part.
export * from './jet/index.js';
export * from './engine/index.js';
export * from './esent/index.js';
export * from './coordinator/index.js';
export * from './backup/index.js';
export * from './inspect/index.js';
export * from '../machines/index.js';
// The fleet (src/fleet): stop, hold and watch coordinators on many hosts through NATS JetStream KV.
export {
  joinFleet, connectFleet, fromFleet, fleetStatus, fleetStop, fleetHold, fleetRelease, fleetKeys, fleetSchema,
  FleetConnectError, FleetConflictError,
} from './fleet/index.js';
export type {
  FleetMember, JoinFleetOptions, FleetConnectOptions, FleetConnection, FromFleetOptions, FleetStatus, FleetInstanceRow,
  FleetStopOptions, FleetStopResult, FleetStopAck, FleetHoldOptions, FleetTarget, InstanceStatus, DesiredStop, DesiredHold, AppliedStop,
} from './fleet/index.js';
