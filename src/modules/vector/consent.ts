import type { AppContext } from '../../context.js';
import { consentChannels } from '../patients/entities.js';
import { hasConsent, latestConsent } from '../patients/ops/consent.js';

/**
 * A patient's own words (messages, transcripts) are kept and shown only while the patient's current
 * `conversation_search` consent, for the conversation's channel or for `all`, is a grant. Ingestion
 * checks it, revocation deletes the chunks (jobs.ts), and every search checks it again with this
 * condition on the chunk `c`, so a chunk left by a revocation not yet processed is never returned.
 */
export const CONSENTED_CHUNK = `(c.source_type not in ('transcript', 'message') or ${latestConsent({
  tenantId: 'c.tenant_id',
  patientId: 'c.patient_id',
  channel: 'c.channel',
  purpose: `'conversation_search'`,
})} = 'granted')`;

/** Whether the patient's conversations on `channel` may be searched now. */
export function conversationSearchAllowed(ctx: AppContext, patientId: string, channel: string): Promise<boolean> {
  const consentChannel = consentChannels.find((known) => known === channel) ?? 'all';
  return hasConsent(ctx, { patientId, channel: consentChannel, purpose: 'conversation_search' });
}
