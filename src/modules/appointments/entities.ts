import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

export const appointmentStatuses = ['booked', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show'] as const;
export type AppointmentStatus = (typeof appointmentStatuses)[number];

export const Location = defineEntity({
  name: 'Location',
  tableName: 'location',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    name: p.string(),
    address: p.text().nullable(),
    phone: p.string().nullable(),
    active: p.boolean(),
  },
});
export type Location = InferEntity<typeof Location>;

export const Practitioner = defineEntity({
  name: 'Practitioner',
  tableName: 'practitioner',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    name: p.string(),
    specialty: p.string().nullable(),
    email: p.string().nullable(),
    phone: p.string().nullable(),
    active: p.boolean(),
  },
});
export type Practitioner = InferEntity<typeof Practitioner>;

/**
 * A weekly working window, in the clinic's time zone: on `weekday` (1 = Monday ... 7 = Sunday) from
 * `startTime` to `endTime` ("HH:MM"), cut into slots of `slotMinutes`.
 */
export const ScheduleRule = defineEntity({
  name: 'ScheduleRule',
  tableName: 'schedule_rule',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    practitionerId: p.uuid(),
    locationId: p.uuid(),
    weekday: p.smallint(),
    startTime: p.string(),
    endTime: p.string(),
    slotMinutes: p.smallint(),
    validFrom: p.date().nullable(),
    validUntil: p.date().nullable(),
  },
});
export type ScheduleRule = InferEntity<typeof ScheduleRule>;

/** Time off: no slots are offered between `startsAt` and `endsAt`. */
export const ScheduleException = defineEntity({
  name: 'ScheduleException',
  tableName: 'schedule_exception',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    practitionerId: p.uuid(),
    startsAt: p.datetime(),
    endsAt: p.datetime(),
    reason: p.text().nullable(),
  },
});
export type ScheduleException = InferEntity<typeof ScheduleException>;

/** Times are UTC instants; views add the clinic's local time. Overlaps are refused by the database. */
export const Appointment = defineEntity({
  name: 'Appointment',
  tableName: 'appointment',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    patientId: p.uuid(),
    practitionerId: p.uuid(),
    locationId: p.uuid(),
    startAt: p.datetime(),
    endAt: p.datetime(),
    status: p.enum([...appointmentStatuses]),
    reason: p.text().nullable(),
    notes: p.text().nullable(),
    cancelReason: p.text().nullable(),
    confirmedAt: p.datetime().nullable(),
    checkedInAt: p.datetime().nullable(),
    completedAt: p.datetime().nullable(),
    cancelledAt: p.datetime().nullable(),
  },
});
export type Appointment = InferEntity<typeof Appointment>;
