import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { Id, Timestamp, TimestampInput } from '../../schema.js';
import { appointmentStatuses } from './entities.js';
import { DateOrInstant, TimeOffView } from './schema.js';

/** Slots and appointments. */

const Status = z.enum(appointmentStatuses).describe('booked, confirmed, checked_in, completed, cancelled or no_show.');
const LocalIso = z.string().describe('The same instant in the clinic’s local time, ISO with its offset (2026-12-01T09:00:00-05:00).');

export const SlotView = z.object({
  practitionerId: Id,
  practitionerName: z.string(),
  locationId: Id,
  locationName: z.string(),
  startAt: Timestamp.describe('UTC instant; pass it (or startLocal) as startAt to book_appointment.'),
  endAt: Timestamp,
  startLocal: LocalIso,
  endLocal: LocalIso,
  timeZone: z.string().describe('The clinic’s IANA time zone.'),
  minutes: z.number().int(),
});
export type SlotView = z.infer<typeof SlotView>;

export const SearchSlotsInput = z.strictObject({
  from: DateOrInstant.describe('Start of the search: a date (YYYY-MM-DD, from the clinic day’s start) or an instant (ISO; no offset means clinic local time).'),
  to: DateOrInstant.describe('End of the search: a date (that whole clinic day included) or an instant (exclusive). At most 62 days after from.'),
  practitionerId: z.array(Id).min(1).max(100).optional().describe('Only these practitioners (repeat the key or separate with commas).'),
  locationId: Id.optional().describe('Only slots at this location.'),
  specialty: z.string().trim().min(1).max(100).optional().describe('Only practitioners of this specialty (case-insensitive, exact).'),
  limit: z.number().int().min(1).max(1000).default(100).describe('At most this many slots, earliest first (1-1000, default 100).'),
});
export const SearchSlotsOutput = z.object({
  items: z.array(SlotView).describe('Free slots sorted by start, then practitioner.'),
  truncated: z.boolean().describe('true when more free slots exist than `limit`: search a later range for more.'),
  timeZone: z.string(),
});

export const AppointmentView = z.object({
  id: Id,
  patientId: Id,
  practitionerId: Id,
  locationId: Id,
  startAt: Timestamp,
  endAt: Timestamp,
  startLocal: LocalIso,
  endLocal: LocalIso,
  timeZone: z.string().describe('The clinic’s IANA time zone.'),
  status: Status,
  allowedNextStatuses: z.array(Status).describe('The statuses this appointment may move to now.'),
  reason: z.string().nullable(),
  notes: z.string().nullable(),
  cancelReason: z.string().nullable(),
  confirmedAt: Timestamp.nullable(),
  checkedInAt: Timestamp.nullable(),
  completedAt: Timestamp.nullable(),
  cancelledAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AppointmentView = z.infer<typeof AppointmentView>;

const StartAt = TimestampInput.describe('Start of a free slot (from search_slots): ISO with offset, or without one for clinic local time.');
const OwnerGuard = Id.optional().describe(
  'Optional guard: the appointment must belong to this patient, else it is reported as not found. Set automatically in a patient conversation.',
);
const AppointmentId = Id.describe('The appointment id.');

export const BookAppointmentInput = z.strictObject({
  patientId: Id.describe('The patient to book for.'),
  practitionerId: Id.describe('The practitioner, from search_slots.'),
  startAt: StartAt,
  locationId: Id.optional().describe('The slot’s location; only needed to insist on one (the schedule decides it).'),
  reason: z.string().trim().min(1).max(1000).optional().describe('Why the patient comes, in their words.'),
  notes: z.string().trim().min(1).max(5000).optional().describe('Notes for the clinic staff.'),
});

export const RescheduleAppointmentInput = z.strictObject({
  id: AppointmentId,
  startAt: StartAt.describe('Start of the new free slot (from search_slots): ISO with offset, or without one for clinic local time.'),
  practitionerId: Id.optional().describe('Move to this practitioner; omit to keep the current one.'),
  patientId: OwnerGuard,
});

export const GetAppointmentInput = z.strictObject({ id: AppointmentId, patientId: OwnerGuard });

export const StatusChangeInput = z.strictObject({ id: AppointmentId, patientId: OwnerGuard });

export const CancelAppointmentInput = z.strictObject({
  id: AppointmentId,
  reason: z.string().trim().min(1).max(1000).describe('Why it is cancelled (required; kept with the appointment).'),
  patientId: OwnerGuard,
});

export const ListAppointmentsInput = z.strictObject({
  patientId: Id.optional().describe('Only this patient’s appointments.'),
  practitionerId: Id.optional().describe('Only this practitioner’s appointments.'),
  locationId: Id.optional().describe('Only appointments at this location.'),
  status: z.array(Status).min(1).max(6).optional().describe('Only these statuses (repeat the key or separate with commas).'),
  from: DateOrInstant.optional().describe('Starting at or after this: a date (clinic day start) or an instant.'),
  to: DateOrInstant.optional().describe('Starting before this: a date (that whole clinic day included) or an instant.'),
  ...pageInput,
});
export const ListAppointmentsOutput = pageOutput(AppointmentView).describe('Sorted by start time, earliest first.');

export const AddTimeOffOutput = z.object({
  timeOff: TimeOffView,
  affectedAppointments: z
    .array(AppointmentView)
    .describe('Active appointments inside the time off. They are kept: reschedule or cancel them.'),
});
