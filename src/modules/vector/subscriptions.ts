import type { EventSubscription } from '../../jobs/subscriptions.js';

export const INGEST_MESSAGE_JOB = 'vector.ingest_message';
export const INGEST_TICKET_JOB = 'vector.ingest_ticket';
export const PATIENT_JOB = 'vector.patient_changed';

/**
 * Conversations and tickets are indexed as they change, after the commit and off the request path:
 * the event's transaction only adds a job row. One source's jobs run one at a time, in order.
 * (Declarations only, with no imports to run, so the event outbox can load them first.)
 */
export const vectorSubscriptions: readonly EventSubscription[] = [
  // Only a patient's messages can be indexed (with their consent): most messages of unknown numbers cost nothing.
  {
    kind: INGEST_MESSAGE_JOB,
    events: ['communication.created'],
    serialKey: (event) => `vector:message:${event.entityId}`,
    when: (event) => typeof event.payload.patientId === 'string',
  },
  { kind: INGEST_TICKET_JOB, events: ['ticket.*'], serialKey: (event) => `vector:ticket:${event.entityId}` },
  // Grants, revocations, deletion and merges of one patient, and conversations linked to them, are applied in order.
  {
    kind: PATIENT_JOB,
    events: ['patient.consent_granted', 'patient.consent_revoked', 'patient.deleted', 'patient.merged', 'conversation.verified'],
    serialKey: (event) => `vector:patient:${event.type === 'conversation.verified' ? String(event.payload.patientId) : event.entityId}`,
  },
];
