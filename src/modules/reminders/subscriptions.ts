import type { EventSubscription } from '../../jobs/subscriptions.js';

/** Brings an appointment's reminders in line with it (src/modules/reminders/sync.ts). */
export const REMINDERS_JOB = 'reminders.sync';
export type RemindersPayload = { eventId: string; type: string; entityId: string };

/**
 * Every change of an appointment's time or status, one appointment at a time, in order. (A
 * declaration only, with no imports to run, so the event outbox can load it first.)
 */
export const reminderSubscriptions: readonly EventSubscription[] = [
  {
    kind: REMINDERS_JOB,
    events: ['appointment.booked', 'appointment.rescheduled', 'appointment.cancelled', 'appointment.no_show', 'appointment.completed'],
    serialKey: (event) => `reminders:${event.entityId}`,
  },
];
