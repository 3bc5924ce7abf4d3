import type { AppContext } from '../../context.js';
import { notFound, unprocessable } from '../../errors.js';
import { Patient } from './entities.js';

/**
 * The tenant's patient with this id, for modules that link to patients. A merged record answers
 * with where it went; a deleted one as not found.
 */
export async function requireActivePatient(ctx: AppContext, id: string): Promise<Patient> {
  const patient = await ctx.em.findOne(Patient, { id });
  if (!patient || patient.status === 'deleted') throw notFound('Patient', id);
  if (patient.status === 'merged') {
    throw unprocessable(`Patient ${id} was merged into ${patient.mergedIntoId}; use that record.`, { mergedIntoId: patient.mergedIntoId });
  }
  return patient;
}
