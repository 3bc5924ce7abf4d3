import type { AppContext } from '../../context.js';
import { unprocessable } from '../../errors.js';
import { recordEvent } from '../../events.js';
import type { AppointmentView } from './appointment-schema.js';
import { requireAppointment } from './appointments.js';
import type { Appointment, AppointmentStatus } from './entities.js';
import { queueAppointmentWriters } from './locks.js';
import { localIso } from './time.js';
import { activeStatuses, allowedTransitions, canMove } from './transitions.js';
import { appointmentView } from './views.js';

type Target = Exclude<AppointmentStatus, 'booked'>;

/** What moving to each status stamps, and the event it records. */
const effects: Record<Target, { event: string; stamp: (appointment: Appointment, now: Date) => void }> = {
  confirmed: { event: 'appointment.confirmed', stamp: (appointment, now) => (appointment.confirmedAt = now) },
  checked_in: { event: 'appointment.checked_in', stamp: (appointment, now) => (appointment.checkedInAt = now) },
  completed: { event: 'appointment.completed', stamp: (appointment, now) => (appointment.completedAt = now) },
  cancelled: { event: 'appointment.cancelled', stamp: (appointment, now) => (appointment.cancelledAt = now) },
  no_show: { event: 'appointment.no_show', stamp: () => undefined },
};

function refuse(appointment: Appointment, target: Target): never {
  const allowed = allowedTransitions[appointment.status];
  const next = allowed.length > 0 ? `it can move to: ${allowed.join(', ')}` : `${appointment.status} is final`;
  throw unprocessable(`Appointment ${appointment.id} is ${appointment.status} and cannot become ${target}; ${next}.`, {
    status: appointment.status,
    allowed,
  });
}

/**
 * Moves the appointment to `target` if the transition table allows it (else 422 with the current
 * status and the allowed ones), stamps the time and records the event. Confirming a confirmed
 * appointment answers it unchanged.
 */
export async function changeStatus(
  ctx: AppContext,
  input: { id: string; patientId?: string; target: Target; reason?: string },
): Promise<AppointmentView> {
  const appointment = await requireAppointment(ctx, input.id, input.patientId, { forUpdate: true });
  const timeZone = ctx.tenant.timeZone;
  if (input.target === 'confirmed' && appointment.status === 'confirmed') return appointmentView(appointment, timeZone);
  if (!canMove(appointment.status, input.target)) refuse(appointment, input.target);
  const now = ctx.clock.now();
  if (input.target === 'no_show' && now < appointment.startAt) {
    throw unprocessable(`Appointment ${appointment.id} starts at ${localIso(appointment.startAt.getTime(), timeZone)}; a no-show can be recorded only once it has started.`, {
      status: appointment.status,
      allowed: allowedTransitions[appointment.status],
    });
  }
  // The new row version of an appointment that stays active is checked by the exclusion constraints too.
  if (activeStatuses.includes(input.target)) await queueAppointmentWriters(ctx, appointment);
  const from = appointment.status;
  appointment.status = input.target;
  if (input.target === 'cancelled') appointment.cancelReason = input.reason ?? null;
  effects[input.target].stamp(appointment, now);
  appointment.updatedAt = now;
  recordEvent(ctx, {
    type: effects[input.target].event,
    entityType: 'appointment',
    entityId: appointment.id,
    payload: { from, to: input.target, patientId: appointment.patientId, ...(input.reason ? { reason: input.reason } : {}) },
  });
  return appointmentView(appointment, timeZone);
}
