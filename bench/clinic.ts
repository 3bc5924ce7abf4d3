import { DateTime } from 'luxon';
import { createContext, type Caller, type Services } from '../src/context.js';
import { newId } from '../src/ids.js';
import { Appointment } from '../src/modules/appointments/entities.js';
import { findSlots } from '../src/modules/appointments/slots.js';
import { tenantEntityManager } from '../src/tools/runner.js';
import { assignPatients, patientInput, windows, type WeeklyWindow } from './dataset.js';
import { run } from './in-process.js';

/**
 * A realistic clinic built in-process: practitioners on weekday schedules (three patterns), a day of
 * time off each and an afternoon for every fourth, patients, and a share of the slots booked.
 * Setup goes through the runner; the bookings are inserted in bulk (thousands through the runner
 * would take most of the run) on slots the schedule really offers, never overlapping for a patient.
 */
export type Clinic = { practitionerIds: string[]; patientIds: string[]; scheduledSlots: number; booked: number; cancelled: number; timeOff: number };

const schedules: { specialty: string; hours: WeeklyWindow[] }[] = [
  { specialty: 'family medicine', hours: [...windows([1, 2, 3, 4, 5], '08:00', '12:00', 20), ...windows([1, 2, 3, 4, 5], '13:00', '17:00', 20)] },
  { specialty: 'pediatrics', hours: [...windows([1, 3, 5], '08:00', '14:00', 15), ...windows([2, 4], '12:00', '19:00', 15)] },
  { specialty: 'dermatology', hours: [...windows([1, 2, 3, 4], '09:00', '17:00', 30), ...windows([6], '09:00', '13:00', 30)] },
];

export async function buildClinic(
  services: Services,
  caller: Caller,
  options: { practitioners: number; patients: number; firstDay: string; days: number; bookEvery: number },
): Promise<Clinic> {
  const zone = caller.tenant.timeZone;
  const first = DateTime.fromISO(options.firstDay, { zone });
  const location = await run<{ id: string }>(services, caller, 'create_location', { name: 'Main Street' });
  const practitionerIds: string[] = [];
  let timeOff = 0;
  for (let index = 0; index < options.practitioners; index++) {
    const schedule = schedules[index % schedules.length];
    const practitioner = await run<{ id: string }>(services, caller, 'create_practitioner', { name: `Dr. Slot ${index + 1}`, specialty: schedule.specialty });
    await run(services, caller, 'set_weekly_schedule', { id: practitioner.id, rules: schedule.hours.map((rule) => ({ ...rule, locationId: location.id })) });
    const dayOff = first.plus({ days: 1 + (index % (options.days - 1)) });
    await run(services, caller, 'add_time_off', { id: practitioner.id, startsAt: dayOff.toISO(), endsAt: dayOff.plus({ days: 1 }).toISO(), reason: 'Training' });
    timeOff++;
    if (index % 4 === 0) {
      const afternoon = first.plus({ days: (index * 7) % options.days, hours: 13 });
      await run(services, caller, 'add_time_off', { id: practitioner.id, startsAt: afternoon.toISO(), endsAt: afternoon.plus({ hours: 5 }).toISO(), reason: 'Dentist' });
      timeOff++;
    }
    practitionerIds.push(practitioner.id);
  }
  const patientIds: string[] = [];
  for (let index = 0; index < options.patients; index++) patientIds.push((await run<{ id: string }>(services, caller, 'create_patient', patientInput(index))).id);

  const em = tenantEntityManager(services, caller.tenant.id);
  const context = createContext(services, caller, em);
  const range = { fromMs: first.toMillis(), toMs: first.plus({ days: options.days }).toMillis() };
  const { slots } = await findSlots(context, { ...range, appointments: false });
  const chosen = slots.filter((_, index) => index % options.bookEvery === 0);
  const bookings = assignPatients(chosen.map((slot) => ({ slot, practitionerId: slot.rule.practitionerId, startMs: slot.startMs, endMs: slot.endMs })), patientIds);
  const now = services.clock.now();
  const rows = bookings.map((booking, index) => {
    const cancelled = index % 10 === 9;
    return {
      id: newId(),
      tenantId: caller.tenant.id,
      patientId: booking.patientId,
      practitionerId: booking.practitionerId,
      locationId: booking.slot.rule.locationId,
      startAt: new Date(booking.startMs),
      endAt: new Date(booking.endMs),
      status: cancelled ? ('cancelled' as const) : ('booked' as const),
      reason: 'Check-up',
      notes: null,
      cancelReason: cancelled ? 'Patient asked' : null,
      confirmedAt: null,
      checkedInAt: null,
      completedAt: null,
      cancelledAt: cancelled ? now : null,
      createdAt: now,
      updatedAt: now,
    };
  });
  for (let start = 0; start < rows.length; start += 500) await em.insertMany(Appointment, rows.slice(start, start + 500));
  const cancelled = rows.filter((row) => row.status === 'cancelled').length;
  return { practitionerIds, patientIds, scheduledSlots: slots.length, booked: rows.length - cancelled, cancelled, timeOff };
}
