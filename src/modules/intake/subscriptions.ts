import type { EventSubscription } from '../../jobs/subscriptions.js';

/** Writes a submitted session's summary (src/modules/intake/summarize.ts). */
export const SUMMARIZE_JOB = 'intake.summarize';
export type SummarizePayload = { eventId: string; entityId: string };

/** Every submitted session gets its summary. (A declaration only, with no imports to run, so the event outbox can load it first.) */
export const intakeSubscriptions: readonly EventSubscription[] = [
  { kind: SUMMARIZE_JOB, events: ['intake.submitted'], serialKey: (event) => `intake:${event.entityId}` },
];
