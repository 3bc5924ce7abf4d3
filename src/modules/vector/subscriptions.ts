import type { EventSubscription } from '../../jobs/subscriptions.js';

export const INGEST_MESSAGE_JOB = 'vector.ingest_message';
export const INGEST_TICKET_JOB = 'vector.ingest_ticket';
export const FORGET_PATIENT_JOB = 'vector.forget_patient';
export const REMEMBER_PATIENT_JOB = 'vector.remember_patient';

/**
 * Conversations and tickets are indexed as they change, after the commit and off the request path:
 * the event's transaction only adds a job row. One source's jobs run one at a time, in order.
 * (Declarations only, with no imports to run, so the event outbox can load them first.)
 */
export const vectorSubscriptions: readonly EventSubscription[] = [
  { kind: INGEST_MESSAGE_JOB, events: ['message.created'], serialKey: (event) => `vector:message:${event.entityId}` },
  { kind: INGEST_TICKET_JOB, events: ['ticket.*'], serialKey: (event) => `vector:ticket:${event.entityId}` },
  { kind: FORGET_PATIENT_JOB, events: ['patient.consent_revoked'], serialKey: (event) => `vector:patient:${event.entityId}` },
  { kind: REMEMBER_PATIENT_JOB, events: ['patient.consent_granted'], serialKey: (event) => `vector:patient:${event.entityId}` },
];
