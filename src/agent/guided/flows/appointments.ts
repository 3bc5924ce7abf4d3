import type { Outcome } from '../calls.js';
import { idleStep, type Answer, type GuidedContext } from '../context.js';
import type { AppointmentChoice } from '../state.js';
import { failed } from './failures.js';
import { appointmentChoice, practitionerNames, upcomingAppointments } from './records.js';

/** Seeing, confirming and cancelling the patient's own appointments. */

export async function listAppointments(context: GuidedContext): Promise<Answer> {
  const found = await upcomingAppointments(context);
  if (!found.ok) return failed(context, found.error, { name: 'list' });
  const { appointments, more } = found.value;
  if (appointments.length === 0) return { text: context.say.noUpcoming(context.voice), step: idleStep };
  const next = appointments[0];
  const nextNeedsConfirming = next.status === 'booked';
  return {
    text: context.say.appointmentList(context.voice, appointments, more, nextNeedsConfirming),
    // "yes" right after this list confirms the next appointment, as after a reminder.
    step: nextNeedsConfirming ? { kind: 'offer_confirm', appointmentId: next.id } : idleStep,
  };
}

/** The appointment to confirm: the one asked about (a reminder, a list), else the next upcoming one. */
async function appointmentToConfirm(context: GuidedContext, appointmentId: string | undefined): Promise<Outcome<AppointmentChoice | undefined>> {
  if (!appointmentId) {
    const found = await upcomingAppointments(context);
    return found.ok ? { ok: true, value: found.value.appointments.at(0) } : found;
  }
  const fetched = await context.operations.getAppointment(appointmentId);
  if (!fetched.ok) return fetched;
  return { ok: true, value: appointmentChoice(fetched.value, await practitionerNames(context)) };
}

/** "C": confirms the next appointment (or the one a reminder asked about); a confirmed one is said to be so. */
export async function confirmAppointment(context: GuidedContext, appointmentId?: string): Promise<Answer> {
  const found = await appointmentToConfirm(context, appointmentId);
  if (!found.ok) return failed(context, found.error, { name: 'confirm' });
  const appointment = found.value;
  if (!appointment) return { text: context.say.noUpcoming(context.voice), step: idleStep };
  if (appointment.status === 'confirmed') return { text: context.say.alreadyConfirmed(appointment), step: idleStep };
  if (appointment.status !== 'booked') return { text: context.say.cannotConfirm(context.voice, appointment), step: idleStep };
  const outcome = await context.operations.confirmAppointment(appointment.id);
  if (!outcome.ok) return failed(context, outcome.error, { name: 'confirm' });
  return { text: context.say.confirmed(appointment), step: idleStep };
}

/** Cancel: which one (when several), then an explicit YES. */
export async function startCancel(context: GuidedContext): Promise<Answer> {
  const found = await upcomingAppointments(context);
  if (!found.ok) return failed(context, found.error, { name: 'cancel' });
  const { appointments } = found.value;
  if (appointments.length === 0) return { text: context.say.noUpcoming(context.voice), step: idleStep };
  if (appointments.length === 1) return askToCancel(context, appointments[0]);
  return { text: context.say.chooseAppointment(context.voice, 'cancel', appointments), step: { kind: 'choose_appointment', purpose: 'cancel', options: appointments } };
}

export const askToCancel = (context: GuidedContext, appointment: AppointmentChoice): Answer => ({
  text: context.say.confirmCancel(appointment),
  step: { kind: 'confirm_cancel', appointment },
});

const channelNames: Record<GuidedContext['channel'], string> = { whatsapp: 'WhatsApp', sms: 'SMS', voice: 'the phone', chat: 'chat', email: 'email' };

export async function cancelAppointment(context: GuidedContext, appointment: AppointmentChoice): Promise<Answer> {
  const outcome = await context.operations.cancelAppointment({ id: appointment.id, reason: `Cancelled by the patient over ${channelNames[context.channel]}` });
  if (!outcome.ok) return failed(context, outcome.error, { name: 'cancel' });
  return { text: context.say.cancelled(context.voice, appointment), step: idleStep };
}
