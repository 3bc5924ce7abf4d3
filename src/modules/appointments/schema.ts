import { z } from 'zod';
import { DateOnly, Id, Timestamp, TimestampInput } from '../../schema.js';
import { minutesOfDay } from './time.js';

/** Locations, practitioners and their schedules. Appointment shapes are in appointment-schema.ts. */

const Name = z.string().trim().min(1).max(200);
const Phone = z.string().trim().min(3).max(40);
const Email = z.email().max(320);
export const LocalTimeOfDay = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'use HH:MM, 00:00 to 24:00')
  .describe('Clinic local time of day, "HH:MM" (24-hour; "24:00" is the end of the day).');
/** A date or an instant; see `parseBound` for what a bare date means on each side. */
export const DateOrInstant = z.union([DateOnly, TimestampInput]);

// Locations

export const LocationView = z.object({
  id: Id,
  name: z.string(),
  address: z.string().nullable(),
  phone: z.string().nullable(),
  active: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type LocationView = z.infer<typeof LocationView>;

export const CreateLocationInput = z.strictObject({
  name: Name.describe('The location’s name, for example "Main Street clinic".'),
  address: z.string().trim().min(1).max(1000).optional().describe('Street address, one text.'),
  phone: Phone.optional().describe('The location’s phone number.'),
});

export const ListLocationsInput = z.strictObject({
  active: z.boolean().optional().describe('true: only active locations; false: only inactive ones; omit for all.'),
});
export const ListLocationsOutput = z.object({ items: z.array(LocationView) });

export const UpdateLocationInput = z.strictObject({
  id: Id.describe('The location id.'),
  name: Name.optional().describe('New name.'),
  address: z.string().trim().min(1).max(1000).nullable().optional().describe('New address; null clears it.'),
  phone: Phone.nullable().optional().describe('New phone; null clears it.'),
  active: z.boolean().optional().describe('false deactivates: no more slots are offered there; booked appointments stay.'),
});

// Practitioners and weekly schedules

export const ScheduleRuleView = z.object({
  id: Id,
  weekday: z.number().int().describe('ISO weekday: 1 = Monday ... 7 = Sunday.'),
  startTime: z.string(),
  endTime: z.string(),
  slotMinutes: z.number().int(),
  locationId: Id,
  validFrom: DateOnly.nullable(),
  validUntil: DateOnly.nullable(),
});

export const PractitionerView = z.object({
  id: Id,
  name: z.string(),
  specialty: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  active: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type PractitionerView = z.infer<typeof PractitionerView>;

export const PractitionerWithSchedule = PractitionerView.extend({
  weeklySchedule: z.array(ScheduleRuleView).describe('Weekly working windows in the clinic’s time zone, by weekday and start.'),
  timeZone: z.string().describe('The clinic’s time zone, in which the weekly windows are read.'),
});

const Specialty = z.string().trim().min(1).max(100);

export const CreatePractitionerInput = z.strictObject({
  name: Name.describe('Full name as patients see it, for example "Dr. Ana Ruiz".'),
  specialty: Specialty.optional().describe('Specialty, for example "dermatology".'),
  email: Email.optional().describe('Work email.'),
  phone: Phone.optional().describe('Work phone.'),
});

export const ListPractitionersInput = z.strictObject({
  active: z.boolean().optional().describe('true: only active practitioners; false: only inactive ones; omit for all.'),
  specialty: Specialty.optional().describe('Only this specialty (case-insensitive, exact).'),
});
export const ListPractitionersOutput = z.object({ items: z.array(PractitionerView) });

export const GetPractitionerInput = z.strictObject({ id: Id.describe('The practitioner id.') });

export const UpdatePractitionerInput = z.strictObject({
  id: Id.describe('The practitioner id.'),
  name: Name.optional().describe('New name.'),
  specialty: Specialty.nullable().optional().describe('New specialty; null clears it.'),
  email: Email.nullable().optional().describe('New email; null clears it.'),
  phone: Phone.nullable().optional().describe('New phone; null clears it.'),
  active: z
    .boolean()
    .optional()
    .describe('false deactivates: no more slots are offered and nothing new can be booked; booked appointments stay.'),
});

const ScheduleRuleInput = z
  .strictObject({
    weekday: z.number().int().min(1).max(7).describe('ISO weekday: 1 = Monday ... 7 = Sunday.'),
    startTime: LocalTimeOfDay.describe('Start of the window, clinic local "HH:MM".'),
    endTime: LocalTimeOfDay.describe('End of the window, clinic local "HH:MM"; after startTime.'),
    slotMinutes: z.number().int().min(5).max(480).describe('Length of each slot in minutes (5-480); the window is cut into slots from its start.'),
    locationId: Id.describe('Where the practitioner works in this window.'),
    validFrom: DateOnly.optional().describe('First date (clinic local) the window applies; omit for no start.'),
    validUntil: DateOnly.optional().describe('Last date (clinic local, inclusive) the window applies; omit for no end.'),
  })
  .superRefine((rule, context) => {
    const length = minutesOfDay(rule.endTime) - minutesOfDay(rule.startTime);
    if (length <= 0) context.addIssue({ code: 'custom', path: ['endTime'], message: 'endTime must be after startTime' });
    else if (length < rule.slotMinutes) context.addIssue({ code: 'custom', path: ['slotMinutes'], message: 'the window is shorter than one slot' });
    if (rule.validFrom && rule.validUntil && rule.validUntil < rule.validFrom) {
      context.addIssue({ code: 'custom', path: ['validUntil'], message: 'validUntil must not be before validFrom' });
    }
  });
export type ScheduleRuleInput = z.output<typeof ScheduleRuleInput>;

/** Two windows clash when they share a weekday, their hours overlap and their validity periods overlap. */
function clash(a: ScheduleRuleInput, b: ScheduleRuleInput): boolean {
  if (a.weekday !== b.weekday) return false;
  if (minutesOfDay(a.startTime) >= minutesOfDay(b.endTime) || minutesOfDay(b.startTime) >= minutesOfDay(a.endTime)) return false;
  const aFrom = a.validFrom ?? '0000-01-01';
  const aUntil = a.validUntil ?? '9999-12-31';
  const bFrom = b.validFrom ?? '0000-01-01';
  const bUntil = b.validUntil ?? '9999-12-31';
  return aFrom <= bUntil && bFrom <= aUntil;
}

export const SetWeeklyScheduleInput = z.strictObject({
  id: Id.describe('The practitioner id.'),
  rules: z
    .array(ScheduleRuleInput)
    .max(100)
    .superRefine((rules, context) => {
      rules.forEach((rule, index) => {
        const earlier = rules.findIndex((other, otherIndex) => otherIndex < index && clash(other, rule));
        if (earlier >= 0) context.addIssue({ code: 'custom', path: [index, 'startTime'], message: `overlaps rule ${earlier} on the same weekday` });
      });
    })
    .describe('The complete weekly schedule; it replaces the current one. An empty list removes every window.'),
});

// Time off

export const TimeOffView = z.object({
  id: Id,
  practitionerId: Id,
  startsAt: Timestamp,
  endsAt: Timestamp,
  startsLocal: z.string().describe('startsAt in the clinic’s local time, with its offset.'),
  endsLocal: z.string().describe('endsAt in the clinic’s local time, with its offset.'),
  timeZone: z.string(),
  reason: z.string().nullable(),
  createdAt: Timestamp,
});
export type TimeOffView = z.infer<typeof TimeOffView>;

export const AddTimeOffInput = z.strictObject({
  id: Id.describe('The practitioner id.'),
  startsAt: TimestampInput.describe('Start of the time off: ISO with offset, or without one for clinic local time.'),
  endsAt: TimestampInput.describe('End of the time off (exclusive), same format; after startsAt.'),
  reason: z.string().trim().min(1).max(1000).optional().describe('Why, for staff (vacation, training ...).'),
});

export const ListTimeOffInput = z.strictObject({
  id: Id.describe('The practitioner id.'),
  from: DateOrInstant.optional().describe('Only time off ending after this (date or instant); default now.'),
  to: DateOrInstant.optional().describe('Only time off starting before this (date, inclusive, or instant); default no limit.'),
});
export const ListTimeOffOutput = z.object({ items: z.array(TimeOffView) });

export const RemoveTimeOffInput = z.strictObject({
  id: Id.describe('The practitioner id.'),
  timeOffId: Id.describe('The time off id, from list_time_off.'),
});
