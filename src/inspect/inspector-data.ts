import type { Coordinator } from '../coordinator/index.js';
import type { Timeline } from './create-timeline.js';
import type { TimelineEntry } from './timeline-entry.js';
import { instanceView, type InstanceView } from './instance-view.js';

/** Everything the inspector shows, as its JSON endpoint (`GET /api/state`) returns it. */
export interface InspectorData {
  /** The chart's machine id (`instanceBackup`). */
  machine: string;
  /** A STOP button (and `POST /api/instances/<inst>/stop`) is enabled. */
  allowStop: boolean;
  /** Epoch milliseconds. */
  at: number;
  instances: Array<InstanceView & { timeline: TimelineEntry[] }>;
}

/**
 * The inspector's data now: one view per instance the coordinator knows, with its timeline.
 *
 * @example
 * const { instances } = inspectorData(coordinator, timeline, { allowStop: false });
 */
export function inspectorData(
  coordinator: Coordinator,
  timeline: Timeline,
  options: { allowStop: boolean; machine?: string },
): InspectorData {
  return {
    machine: options.machine ?? 'instanceBackup',
    allowStop: options.allowStop,
    at: Date.now(),
    instances: coordinator.instances().map((inst) => {
      const instance = inst.toString();
      return { ...instanceView(instance, coordinator.snapshot(inst)), timeline: timeline.entries(instance) };
    }),
  };
}
