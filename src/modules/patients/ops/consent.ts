import type { z } from 'zod';
import type { AppContext } from '../../../context.js';
import { ormSql } from '../../../db/sql.js';
import { recordEvent } from '../../../events.js';
import { newId } from '../../../ids.js';
import { PatientConsent, type consentChannels, type consentPurposes } from '../entities.js';
import { requireActivePatient } from '../lookup.js';
import type { ConsentView, RecordConsentInput } from '../schema.js';
import { consentHistory } from './get.js';
import { consentView, currentConsents } from './view.js';

async function recordConsent(ctx: AppContext, input: z.output<typeof RecordConsentInput>, status: 'granted' | 'revoked'): Promise<ConsentView> {
  const patient = await requireActivePatient(ctx, input.patientId);
  const now = ctx.clock.now();
  const consent = ctx.em.create(PatientConsent, {
    id: newId(),
    tenantId: ctx.tenant.id,
    patientId: patient.id,
    channel: input.channel,
    purpose: input.purpose,
    status,
    source: ctx.channel,
    recordedBy: ctx.actor.id,
    note: input.note ?? null,
    recordedAt: now,
    createdAt: now,
    updatedAt: now,
  });
  recordEvent(ctx, {
    type: status === 'granted' ? 'patient.consent_granted' : 'patient.consent_revoked',
    entityType: 'patient',
    entityId: patient.id,
    payload: { consentId: consent.id, channel: input.channel, purpose: input.purpose, source: ctx.channel },
  });
  return consentView(consent);
}

/** Records the patient's consent to be contacted on `channel` for `purpose`; appends to the history. */
export const grantConsent = (ctx: AppContext, input: z.output<typeof RecordConsentInput>) => recordConsent(ctx, input, 'granted');

/** Records that the patient withdrew consent for `channel` and `purpose`; appends to the history. */
export const revokeConsent = (ctx: AppContext, input: z.output<typeof RecordConsentInput>) => recordConsent(ctx, input, 'revoked');

/** The current choice per channel and purpose, and the whole history, newest first. */
export async function listConsents(ctx: AppContext, input: { patientId: string }) {
  const patient = await requireActivePatient(ctx, input.patientId);
  const history = await consentHistory(ctx, patient.id);
  return { current: currentConsents(history), history: history.map(consentView) };
}

/**
 * The consent rule, as a SQL expression over SQL expressions (columns or placeholders): the latest
 * grant or revocation of the patient for the purpose, on the channel or on `all`, decides (its status,
 * `granted` or `revoked`); no record is null, which means no. The one definition of it: `hasConsent`,
 * a notification's send-time check and the search's filter on a patient's own words all use it.
 */
export const latestConsent = (of: { tenantId: string; patientId: string; channel: string; purpose: string }): string =>
  `(select pc.status from patient_consent pc
     where pc.tenant_id = ${of.tenantId} and pc.patient_id = ${of.patientId} and pc.purpose = ${of.purpose} and pc.channel in (${of.channel}, 'all')
     order by pc.recorded_at desc, pc.id desc limit 1)`;

/**
 * Whether the patient may be contacted on `channel` for `purpose` now (see `latestConsent`): for other
 * modules (reminders, outreach). It reads what is committed or flushed in the caller's transaction.
 */
export async function hasConsent(
  ctx: AppContext,
  query: { patientId: string; channel: (typeof consentChannels)[number]; purpose: (typeof consentPurposes)[number] },
): Promise<boolean> {
  const [row] = await ormSql(ctx.em).query<{ status: string | null }>({
    sql: `select ${latestConsent({ tenantId: '?', patientId: '?', channel: '?', purpose: '?' })} as status`,
    params: [ctx.tenant.id, query.patientId, query.purpose, query.channel],
  });
  return row?.status === 'granted';
}
