import type { BackupOutcome, StopReason } from '../coordinator/index.js';

/** The schema version of every value this version writes; values of another version are ignored with a warning. */
export const fleetSchema = 1;

/** The value of a `stop.*` key: a new `epoch` is a new stop request. */
export interface DesiredStop {
  v: typeof fleetSchema;
  /** Increases with each `fleetStop` on the key; a coordinator stops a session once per epoch. */
  epoch: number;
  reason: string;
  /** Who asked (user@host by default). */
  by: string;
  /** When it was asked (ISO 8601, the controller's clock). */
  at: string;
}

/** The value of a `hold.*` key; deleting the key releases the hold. */
export interface DesiredHold {
  v: typeof fleetSchema;
  reason: string;
  by: string;
  at: string;
}

/** A fleet stop a coordinator applied to the current session. */
export interface AppliedStop {
  key: string;
  epoch: number;
  /** When the coordinator applied it (ms since the epoch, its clock). */
  appliedAt: number;
}

/**
 * What a coordinator publishes for one instance at `state.<node>.<instance>`, re-put every heartbeat.
 * `phase` is read from the chart: `idle` (no session yet), `running`, `stopping` (stopped, End not
 * called yet), `ended` (End, a kill or Term), `serviceStopped`, `terminated`.
 */
export interface InstanceStatus {
  v: typeof fleetSchema;
  node: string;
  instance: string;
  /** The chart's state value (JSON). */
  chart: unknown;
  phase: 'idle' | 'running' | 'stopping' | 'ended' | 'serviceStopped' | 'terminated';
  /** The runner's progress, when the caller reports it (`FleetMember.progress`). */
  progress: { phase: string; bytesDone: number; bytesTotal: number } | null;
  /** How the last session ended. */
  outcome: BackupOutcome | null;
  /** The first stop reason of the current or last session. */
  stopReason: StopReason | null;
  /** The fleet stops applied to the current or last session. */
  fleetStops: AppliedStop[];
  /** The hold refusing Begin now (its key and reason), if any. */
  held: { key: string; reason: string } | null;
  /** Counts up with each session the coordinator saw begin. */
  sessions: number;
  /** When the state last changed (ms since the epoch, the coordinator's clock). */
  changedAt: number;
  /** When this value was put (the heartbeat). */
  heartbeatAt: number;
  /** How often the coordinator re-puts (ms): a reader counts the key unreachable after a few missed beats. */
  heartbeatMs: number;
  /** Set by `close()`: the coordinator left the fleet cleanly (not unreachable). */
  closed: boolean;
  /** Who publishes (random per `joinFleet`): a second live publisher of the same key is refused. */
  owner: string;
  pid: number;
  host: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown, max = 1000): v is string => typeof v === 'string' && v.length <= max;

/** Decodes a KV value as JSON, or explains why not. */
export function decodeJson(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; why: string } {
  try {
    return { ok: true, value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown };
  } catch (e) {
    return { ok: false, why: `not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
}

/** Checks a `stop.*` value: the stop, or why it is malformed. */
export function checkDesiredStop(value: unknown): DesiredStop | string {
  if (!isObject(value)) return 'not a JSON object';
  if (value.v !== fleetSchema) return `schema version ${JSON.stringify(value.v)} (this version reads ${fleetSchema})`;
  if (typeof value.epoch !== 'number' || !Number.isSafeInteger(value.epoch) || value.epoch < 1)
    return `epoch must be a positive integer, got ${JSON.stringify(value.epoch)}`;
  if (!isText(value.reason)) return 'reason must be a string (at most 1000 characters)';
  if (!isText(value.by, 200)) return 'by must be a string (at most 200 characters)';
  if (!isText(value.at, 64)) return 'at must be an ISO 8601 string';
  return { v: fleetSchema, epoch: value.epoch, reason: value.reason, by: value.by, at: value.at };
}

/** Checks a `hold.*` value: the hold, or why it is malformed. */
export function checkDesiredHold(value: unknown): DesiredHold | string {
  if (!isObject(value)) return 'not a JSON object';
  if (value.v !== fleetSchema) return `schema version ${JSON.stringify(value.v)} (this version reads ${fleetSchema})`;
  if (!isText(value.reason)) return 'reason must be a string (at most 1000 characters)';
  if (!isText(value.by, 200)) return 'by must be a string (at most 200 characters)';
  if (!isText(value.at, 64)) return 'at must be an ISO 8601 string';
  return { v: fleetSchema, reason: value.reason, by: value.by, at: value.at };
}

/** Checks a `state.*` value as a controller reads it: the status, or why it is malformed. */
export function checkInstanceStatus(value: unknown): InstanceStatus | string {
  if (!isObject(value)) return 'not a JSON object';
  if (value.v !== fleetSchema) return `schema version ${JSON.stringify(value.v)} (this version reads ${fleetSchema})`;
  for (const k of ['node', 'instance', 'phase', 'owner', 'host'] as const) if (typeof value[k] !== 'string') return `${k} must be a string`;
  for (const k of ['heartbeatAt', 'heartbeatMs', 'changedAt', 'sessions', 'pid'] as const)
    if (typeof value[k] !== 'number') return `${k} must be a number`;
  if (!Array.isArray(value.fleetStops)) return 'fleetStops must be an array';
  return value as unknown as InstanceStatus;
}
