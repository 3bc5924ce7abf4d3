import { idleStep, type Answer, type GuidedContext } from '../context.js';
import type { AppointmentChoice, SlotChoice, SlotSearch, Task } from '../state.js';
import { failed } from './failures.js';
import { upcomingAppointments } from './records.js';
import { isTimeGone, offerSlots, timeGoneIntro } from './slots.js';
import { offerWithNamed } from './who.js';

/**
 * Moving an appointment: which one (when several), then a free slot, the same practitioner's first;
 * on the day and with whom the patient asked for, when they did ("move it to Friday afternoon").
 */

export async function startReschedule(context: GuidedContext, task: Task): Promise<Answer> {
  const found = await upcomingAppointments(context);
  if (!found.ok) return failed(context, found.error, task);
  const { appointments } = found.value;
  if (appointments.length === 0) return { text: context.say.noUpcoming(context.voice), step: idleStep };
  if (appointments.length === 1) return offerNewTimes(context, appointments[0], task);
  return {
    text: context.say.chooseAppointment(context.voice, 'reschedule', appointments),
    step: { kind: 'choose_appointment', purpose: 'reschedule', options: appointments, ...(task.when || task.preference ? { task } : {}) },
  };
}

export const offerNewTimes = (context: GuidedContext, appointment: AppointmentChoice, task: Task) =>
  offerWithNamed(context, { purpose: 'reschedule', appointment, ...(task.when ? { when: task.when } : {}) }, task.preference, task);

/**
 * Moves the appointment to the slot the patient picked; if it was taken meanwhile, says so and offers
 * fresh ones. The moved appointment is booked again, so the patient is asked to confirm the new time.
 */
export async function moveToSlot(context: GuidedContext, search: SlotSearch, slot: SlotChoice): Promise<Answer> {
  const appointment = search.appointment;
  if (!appointment) return { text: context.say.changedMeanwhile(context.voice), step: idleStep };
  const outcome = await context.operations.rescheduleAppointment({ id: appointment.id, startAt: slot.startAt, practitionerId: slot.practitionerId });
  if (outcome.ok) return { text: context.say.rescheduled(context.voice, slot), step: { kind: 'offer_confirm', appointmentId: appointment.id } };
  if (isTimeGone(outcome.error)) return offerSlots(context, search, { intro: timeGoneIntro(context, outcome.error), exclude: [slot] });
  return failed(context, outcome.error, { name: 'reschedule' });
}
