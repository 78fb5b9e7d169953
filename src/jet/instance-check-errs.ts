import { JET_err } from './jet-err.js';

/**
 * The codes any backup call but JetStopBackupInstance may answer from ESE's instance check, before
 * any backup rule: not a live instance (-1003, -1115), service stopped (-1329), not initialized
 * (-1029), terminating (-1000). A client that gets one learns about the instance, not the session.
 */
export const instanceCheckErrs: readonly number[] = [
  JET_err.InvalidParameter,
  JET_err.InvalidInstance,
  JET_err.ClientRequestToStopJetService,
  JET_err.NotInitialized,
  JET_err.TermInProgress,
];
