import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

export const notificationChannels = ['whatsapp', 'sms', 'email'] as const;
export type NotificationChannel = (typeof notificationChannels)[number];
/** The patients module's consent purposes a notification may be sent for. */
export const notificationPurposes = ['care_messages', 'appointment_reminders', 'marketing'] as const;
export type NotificationPurpose = (typeof notificationPurposes)[number];
/**
 * `scheduled` until its send time; then `dispatched` (handed to the message pipeline, which owns what
 * happens next), or `skipped` (a send-time check refused it: `skipReason`). `cancelled` by staff.
 */
export const notificationStates = ['scheduled', 'dispatched', 'cancelled', 'skipped'] as const;
export type NotificationState = (typeof notificationStates)[number];

/**
 * A message the clinic starts, to one patient, at `sendAt`. The message itself (body, subject,
 * conversation, delivery status) is its `communication`, created when the notification is accepted:
 * nothing of it is copied here.
 */
export const Notification = defineEntity({
  name: 'Notification',
  tableName: 'notification',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    patientId: p.uuid(),
    channel: p.enum([...notificationChannels]),
    purpose: p.enum([...notificationPurposes]),
    communicationId: p.uuid(),
    /** The template and version rendered; null for a plain body. */
    templateId: p.uuid().nullable(),
    templateVersion: p.integer().nullable(),
    appointmentId: p.uuid().nullable(),
    /**
     * The appointment's start this was written for (its text says that time): at send time, an
     * appointment that moved since, or is no longer booked or confirmed, is not reminded of.
     */
    appointmentStartsAt: p.datetime().nullable(),
    sendAt: p.datetime(),
    /** Unique per clinic: the same key again answers with this notification. */
    dedupeKey: p.text().nullable(),
    /** The bulk send it was part of. */
    batchId: p.uuid().nullable(),
    state: p.enum([...notificationStates]),
    /** Why a send-time check refused it (state `skipped`). */
    skipReason: p.text().nullable(),
    dispatchedAt: p.datetime().nullable(),
  },
});
export type Notification = InferEntity<typeof Notification>;

/**
 * A clinic's next free sending slot: each dispatch takes the slot and moves it on by 1/rate seconds,
 * in one statement, so processes sending for the same clinic together keep its rate.
 */
export const SendPace = defineEntity({
  name: 'SendPace',
  tableName: 'send_pace',
  properties: {
    tenantId: p.uuid().primary(),
    nextAt: p.datetime(),
  },
});
export type SendPace = InferEntity<typeof SendPace>;
