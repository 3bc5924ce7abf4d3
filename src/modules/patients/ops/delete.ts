import type { AppContext } from '../../../context.js';
import { unprocessable } from '../../../errors.js';
import { recordEvent } from '../../../events.js';
import { Appointment } from '../../appointments/entities.js';
import { requireActivePatient } from '../lookup.js';
import type { PatientView } from '../schema.js';
import { patientView } from './view.js';

/** Appointment states that still hold a practitioner's time. */
const upcomingStatuses = ['booked', 'confirmed', 'checked_in'] as const;

/**
 * Soft-deletes a patient: the record stays (history, identifiers) but answers as not found. Refused
 * while the patient has upcoming appointments, which would otherwise keep holding slots for nobody.
 */
export async function deletePatient(ctx: AppContext, id: string): Promise<PatientView> {
  const patient = await requireActivePatient(ctx, id);
  const now = ctx.clock.now();
  const upcoming = await ctx.em.count(Appointment, { patientId: id, status: { $in: [...upcomingStatuses] }, endAt: { $gt: now } });
  if (upcoming > 0) {
    throw unprocessable(`Patient ${id} has ${upcoming} upcoming appointment(s); cancel them before deleting the patient.`, { upcomingAppointments: upcoming });
  }
  patient.status = 'deleted';
  patient.deletedAt = now;
  patient.updatedAt = now;
  recordEvent(ctx, { type: 'patient.deleted', entityType: 'patient', entityId: patient.id });
  return patientView(patient);
}
