import type { z } from 'zod';
import type { AppContext } from '../../../context.js';
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
 * Whether the patient may be contacted on `channel` for `purpose` now: the latest grant or revocation
 * for that channel or for `all` decides; no record means no. For other modules (reminders, outreach).
 */
export async function hasConsent(
  ctx: AppContext,
  query: { patientId: string; channel: (typeof consentChannels)[number]; purpose: (typeof consentPurposes)[number] },
): Promise<boolean> {
  const latest = await ctx.em.findOne(
    PatientConsent,
    { patientId: query.patientId, purpose: query.purpose, channel: { $in: [...new Set([query.channel, 'all' as const])] } },
    { orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }] },
  );
  return latest?.status === 'granted';
}
