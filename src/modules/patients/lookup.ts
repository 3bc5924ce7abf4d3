import type { AppContext } from '../../context.js';
import { notFound, unprocessable } from '../../errors.js';
import { Patient } from './entities.js';

/** Throws unless `patient` is an active record: none or deleted is not found; merged answers 422 naming where it went. */
export function refuseInactive(patient: Pick<Patient, 'status' | 'mergedIntoId'> | undefined | null, id: string): void {
  if (!patient || patient.status === 'deleted') throw notFound('Patient', id);
  if (patient.status === 'merged') {
    throw unprocessable(`Patient ${id} was merged into ${patient.mergedIntoId}; use that record.`, { mergedIntoId: patient.mergedIntoId });
  }
}

/**
 * The tenant's patient with this id, for modules that link to patients. A merged record answers
 * with where it went; a deleted one as not found.
 */
export async function requireActivePatient(ctx: AppContext, id: string): Promise<Patient> {
  const patient = await ctx.em.findOne(Patient, { id });
  refuseInactive(patient, id);
  return patient!;
}

/**
 * The one active patient whose phone (SMS, WhatsApp, voice) or email is this contact; null when none
 * is, or when several share it (a family's phone: whose the message is cannot be told).
 */
export async function onlyPatientWithContact(ctx: AppContext, channel: string, contact: string): Promise<string | null> {
  const field = channel === 'email' ? { email: contact.toLowerCase() } : { phone: contact };
  const found = await ctx.em.find(Patient, { ...field, status: 'active' }, { fields: ['id'], limit: 2 });
  return found.length === 1 ? found[0].id : null;
}
