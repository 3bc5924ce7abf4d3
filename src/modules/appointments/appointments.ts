import { LockMode } from '@mikro-orm/core';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { decodeCursor, page, type Position } from '../../db/pagination.js';
import { notFound } from '../../errors.js';
import type { AppointmentView, ListAppointmentsInput } from './appointment-schema.js';
import { Appointment } from './entities.js';
import { parseBound } from './time.js';
import { appointmentView } from './views.js';

/**
 * The tenant's appointment. With `patientId` (always set in a patient conversation) it must be that
 * patient's: another patient's appointment is reported as not found, so its existence does not leak.
 * `forUpdate` (inside a write) locks the row, so two changes of one appointment run one after the
 * other and the second sees the first's status.
 */
export async function requireAppointment(ctx: AppContext, id: string, patientId?: string, options: { forUpdate?: boolean } = {}): Promise<Appointment> {
  const appointment = await ctx.em.findOne(Appointment, { id }, options.forUpdate ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!appointment || (patientId !== undefined && appointment.patientId !== patientId)) throw notFound('Appointment', id);
  return appointment;
}

/** One appointment. */
export async function getAppointment(ctx: AppContext, input: { id: string; patientId?: string }): Promise<AppointmentView> {
  return appointmentView(await requireAppointment(ctx, input.id, input.patientId), ctx.tenant.timeZone);
}

/** "After `position`" for a list sorted by (`startAt` asc, id asc): the mirror of pagination's `after`. */
function afterAscending(position: Position | undefined) {
  if (!position) return {};
  return { $or: [{ startAt: { $gt: position.at } }, { startAt: position.at, id: { $gt: position.id } }] };
}

/** Appointments by start time, earliest first, filtered; keyset-paginated by (startAt, id). */
export async function listAppointments(ctx: AppContext, input: z.output<typeof ListAppointmentsInput>) {
  const timeZone = ctx.tenant.timeZone;
  const from = input.from ? parseBound(input.from, timeZone, 'from', 'from').toJSDate() : undefined;
  const to = input.to ? parseBound(input.to, timeZone, 'to', 'to').toJSDate() : undefined;
  const rows = await ctx.em.find(
    Appointment,
    {
      ...(input.patientId ? { patientId: input.patientId } : {}),
      ...(input.practitionerId ? { practitionerId: input.practitionerId } : {}),
      ...(input.locationId ? { locationId: input.locationId } : {}),
      ...(input.status ? { status: { $in: input.status } } : {}),
      ...(from || to ? { startAt: { ...(from ? { $gte: from } : {}), ...(to ? { $lt: to } : {}) } } : {}),
      ...afterAscending(decodeCursor(input.cursor)),
    },
    { orderBy: [{ startAt: 'asc' }, { id: 'asc' }], limit: input.limit + 1 },
  );
  return page(rows, input.limit, (appointment) => ({ at: appointment.startAt, id: appointment.id }), (appointment) => appointmentView(appointment, timeZone));
}
