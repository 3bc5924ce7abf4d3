import type { AppContext } from '../../../context.js';
import { PatientConsent } from '../entities.js';
import { refuseInactive } from '../lookup.js';
import type { PatientDetail } from '../schema.js';
import { patientWithDetails, readPatientWithDetails } from '../statements.js';
import { currentConsents, identifierView, patientView } from './view.js';

/** A patient's consent rows, newest first (id breaks ties: ids are time-ordered). */
export const consentHistory = (ctx: AppContext, patientId: string) =>
  ctx.em.find(PatientConsent, { patientId }, { orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }] });

/** The patient with identifiers and current consents, in one query; undefined if there is no such patient. */
async function readDetail(ctx: AppContext, id: string) {
  const [row] = await ctx.sql.query(patientWithDetails(ctx.services.orm, { tenantId: ctx.tenant.id, patientId: id }));
  return row && readPatientWithDetails(ctx.services.orm, row);
}

function detailView({ patient, identifiers, consents }: NonNullable<Awaited<ReturnType<typeof readDetail>>>): PatientDetail {
  return {
    ...patientView(patient),
    identifiers: identifiers.map(identifierView),
    consents: currentConsents(consents),
  };
}

/** The patient as stored after this call's changes (they are flushed first), with identifiers and current consents. */
export async function patientDetail(ctx: AppContext, patientId: string): Promise<PatientDetail> {
  await ctx.em.flush();
  const detail = await readDetail(ctx, patientId);
  if (!detail) throw new Error(`Patient ${patientId} vanished within its own call`);
  return detailView(detail);
}

/** An active patient with identifiers and current consents; merged answers 422 naming the kept record. */
export async function getPatient(ctx: AppContext, id: string): Promise<PatientDetail> {
  const detail = await readDetail(ctx, id);
  refuseInactive(detail?.patient, id);
  return detailView(detail!);
}
