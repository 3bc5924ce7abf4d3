import type { AppointmentStatus } from './entities.js';

/**
 * The one table of appointment status changes: from each status, the statuses it may move to.
 *
 * - checked_in → no_show is allowed for a patient who checked in and left without being seen; it
 *   frees the practitioner's time like any no-show. checked_in → cancelled is not: once the
 *   patient is there, the visit either happens (completed) or is recorded as not happening (no_show).
 * - completed, cancelled and no_show are final.
 * - Rescheduling is not a status change: it moves a booked or confirmed appointment and sets it back
 *   to booked (see `reschedulableStatuses`).
 */
export const allowedTransitions: Readonly<Record<AppointmentStatus, readonly AppointmentStatus[]>> = {
  booked: ['confirmed', 'checked_in', 'cancelled', 'no_show'],
  confirmed: ['checked_in', 'cancelled', 'no_show'],
  checked_in: ['completed', 'no_show'],
  completed: [],
  cancelled: [],
  no_show: [],
};

export const reschedulableStatuses: readonly AppointmentStatus[] = ['booked', 'confirmed'];

/** Statuses that hold the practitioner's and the patient's time (the exclusion constraints agree). */
export const activeStatuses: readonly AppointmentStatus[] = ['booked', 'confirmed', 'checked_in', 'completed'];

export const canMove = (from: AppointmentStatus, to: AppointmentStatus): boolean => allowedTransitions[from].includes(to);
