import type { EventSubscription } from '../../jobs/subscriptions.js';

/** Applies a domain event to the clinic's journeys (src/modules/journeys/consumer.ts). */
export const APPLY_JOB = 'journeys.apply';
/** Runs a stage's actions through the runner (src/modules/journeys/actions.ts). */
export const ACT_JOB = 'journeys.act';
/** A way forward's delay has passed (src/modules/journeys/timers.ts). */
export const TIMER_JOB = 'journeys.timer';

export type ApplyPayload = { eventId: string; type: string; entityType: string; entityId: string; payload: Record<string, unknown> };
export type ActPayload = { instanceId: string; run: number };
export type TimerPayload = { instanceId: string; token: number; stage: string; way: number; dueAt: string };

/** The event families journeys react to: those about a patient. A definition may name only these. */
export const JOURNEY_EVENT_FAMILIES = ['appointment.*', 'patient.*', 'communication.created', 'intake.*', 'ticket.*'] as const;

export const isJourneyEvent = (type: string): boolean =>
  JOURNEY_EVENT_FAMILIES.some((pattern) => (pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type));

/**
 * Every event about a patient, in order: an appointment's one at a time (booked before rescheduled),
 * others one patient (or entity) at a time. (A declaration only, with no imports to run, so the
 * event outbox can load it first.)
 */
export const journeySubscriptions: readonly EventSubscription[] = [
  {
    kind: APPLY_JOB,
    events: JOURNEY_EVENT_FAMILIES,
    // Of messages, only a reply from a number (or address) in the patients' records is something a
    // journey waits for: the clinic's own messages, and those of unknown numbers, add no job to the agent's hot path.
    when: (event) => event.type !== 'communication.created' || (event.payload.direction === 'inbound' && (typeof event.payload.patientId === 'string' || event.payload.contactKnown === true)),
    serialKey: (event) =>
      `journeys:${event.entityType !== 'appointment' && typeof event.payload.patientId === 'string' ? event.payload.patientId : event.entityId}`,
  },
];
