import type { AppContext } from '../../../context.js';
import { Patient, PatientConsent, PatientIdentifier } from '../entities.js';
import { requireActivePatient } from '../lookup.js';
import type { PatientDetail } from '../schema.js';
import { currentConsents, identifierView, patientView } from './view.js';

/** A patient's consent rows, newest first (id breaks ties: ids are time-ordered). */
export const consentHistory = (ctx: AppContext, patientId: string) =>
  ctx.em.find(PatientConsent, { patientId }, { orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }] });

/** The patient with identifiers and current consents. */
export async function patientDetail(ctx: AppContext, patient: Patient): Promise<PatientDetail> {
  const identifiers = await ctx.em.find(PatientIdentifier, { patientId: patient.id }, { orderBy: [{ system: 'asc' }, { value: 'asc' }] });
  const history = await consentHistory(ctx, patient.id);
  return { ...patientView(patient), identifiers: identifiers.map(identifierView), consents: currentConsents(history) };
}

/** An active patient with identifiers and current consents; merged answers 422 naming the kept record. */
export async function getPatient(ctx: AppContext, id: string): Promise<PatientDetail> {
  return patientDetail(ctx, await requireActivePatient(ctx, id));
}
