import type { Appointment, Outcome } from '../calls.js';
import type { GuidedContext } from '../context.js';
import type { AppointmentChoice } from '../state.js';

/** The patient's upcoming appointments, as offered in lists. */

/** At most this many in one list: single digits to reply with, and a message that fits a phone screen. */
const LISTED = 9;
export const upcomingStatuses = ['booked', 'confirmed'];

/** Practitioner names by id. A courtesy: without them the times are still right, so a failure leaves them out. */
export async function practitionerNames(context: GuidedContext): Promise<Map<string, string>> {
  const listed = await context.operations.listPractitioners({});
  return new Map(listed.ok ? listed.value.items.map((practitioner) => [practitioner.id, practitioner.name]) : []);
}

export const appointmentChoice = (appointment: Appointment, names: Map<string, string>): AppointmentChoice => ({
  id: appointment.id,
  startAt: appointment.startAt,
  startLocal: appointment.startLocal,
  practitionerId: appointment.practitionerId,
  practitionerName: names.get(appointment.practitionerId) ?? null,
  status: appointment.status,
});

/** Booked and confirmed appointments from now on, earliest first; `more` when the list was cut. */
export async function upcomingAppointments(context: GuidedContext): Promise<Outcome<{ appointments: AppointmentChoice[]; more: boolean }>> {
  const listed = await context.operations.listAppointments({ from: context.now.toISOString(), status: upcomingStatuses, limit: LISTED });
  if (!listed.ok) return listed;
  if (listed.value.items.length === 0) return { ok: true, value: { appointments: [], more: false } };
  const names = await practitionerNames(context);
  return {
    ok: true,
    value: { appointments: listed.value.items.map((appointment) => appointmentChoice(appointment, names)), more: listed.value.nextCursor !== null },
  };
}
