import { newId } from '../../src/ids.js';
import { Appointment, type AppointmentStatus } from '../../src/modules/appointments/entities.js';
import type { Services } from '../../src/context.js';

export type AppointmentRow = {
  tenantId: string;
  patientId: string;
  practitionerId: string;
  locationId: string;
  startAt: Date;
  minutes?: number;
  status?: AppointmentStatus;
  cancelReason?: string;
};

/**
 * Appointments stored as the appointments module stores them, at any time (booking refuses the past
 * and goes one at a time), in one insert per 500; their ids, in the order given. The caller keeps
 * them from overlapping for a patient or a practitioner, as the database's constraints require.
 */
export async function insertAppointments(services: Services, appointments: readonly AppointmentRow[]): Promise<string[]> {
  const now = new Date();
  const rows = appointments.map((appointment) => ({
    id: newId(),
    tenantId: appointment.tenantId,
    patientId: appointment.patientId,
    practitionerId: appointment.practitionerId,
    locationId: appointment.locationId,
    startAt: appointment.startAt,
    endAt: new Date(appointment.startAt.getTime() + (appointment.minutes ?? 30) * 60_000),
    status: appointment.status ?? 'booked',
    reason: null,
    notes: null,
    cancelReason: appointment.cancelReason ?? null,
    confirmedAt: null,
    checkedInAt: null,
    completedAt: null,
    cancelledAt: null,
    createdAt: now,
    updatedAt: now,
  }));
  const em = services.orm.em.fork();
  for (let start = 0; start < rows.length; start += 500) await em.insertMany(Appointment, rows.slice(start, start + 500));
  return rows.map((row) => row.id);
}
