import type { Services } from '../../context.js';
import type { JobHandler } from '../../jobs/worker.js';
import { newId } from '../../ids.js';
import { errorSummary } from '../../log.js';
import { attachmentLinks } from '../media/attachments.js';
import type { CommunicationStatus } from './entities.js';
import { DeliveryError } from './delivery-error.js';
import type { DeliverPayload } from './jobs.js';
import { finishDelivery, markSending, recordReport, unsentReason, type Sending, type UnsentReason } from './statements.js';

/** What a provider said when it took a communication: its id for it, and its own word for the status. */
type Accepted = { providerMessageId: string; providerStatus: string };

/** Hands the communication to its channel's provider. */
async function handOver(services: Services, tenantId: string, communicationId: string, sending: Sending): Promise<Accepted> {
  if (sending.channel === 'email') {
    const sent = await services.email.send({
      to: sending.contact,
      subject: sending.subject ?? `A message from ${sending.clinicName}`,
      text: sending.body,
      messageId: `${communicationId}@prm`,
    });
    return { providerMessageId: sent.providerMessageId, providerStatus: 'accepted' };
  }
  if (!sending.accountSid || !sending.authToken) throw new DeliveryError('Twilio is not configured for this clinic.', 'rejected');
  const mediaUrls = await attachmentLinks(services, tenantId, sending.media);
  if (!mediaUrls) throw new DeliveryError('A file attached to the message was deleted before it was sent.', 'rejected');
  const account = { accountSid: sending.accountSid, authToken: sending.authToken, phoneNumber: sending.phoneNumber, whatsappNumber: sending.whatsappNumber };
  const sent = await services.twilio.send(account, {
    channel: sending.channel === 'whatsapp' ? 'whatsapp' : 'sms',
    to: sending.contact,
    from: sending.clinicAddress ?? null,
    body: sending.body,
    content: sending.contentSid ? { sid: sending.contentSid, variables: sending.contentVariables ?? {} } : undefined,
    mediaUrls,
    communicationId,
  });
  return { providerMessageId: sent.sid, providerStatus: sent.status };
}

/** Why an unsendable communication is not sent, for the thread and staff. */
function notSentReason(unsent: UnsentReason): string {
  if (unsent.optedOut && unsent.authorKind !== 'system') return 'The patient opted out (STOP); nothing is sent until they send START.';
  return unsent.channel === 'email'
    ? 'Email is not configured for this service (SMTP_URL, SMTP_FROM); the message was not delivered.'
    : 'Twilio is not configured for this clinic; the message was not delivered.';
}

/**
 * Sends one queued communication through its provider (Twilio for WhatsApp and SMS, SMTP for email),
 * exactly once or not at all:
 * - it is marked `sending` (a flushed commit) before the provider is asked;
 * - one found still `sending` was interrupted mid-request (a crash): it may have left, so it is never
 *   sent again but marked `unknown` for staff; its status callback (whose URL carries our id) still
 *   binds it to the provider's id and moves it on when the provider reports it;
 * - it is retried only when the provider surely did not get it (DeliveryError `retry`).
 */
export const deliverCommunication: JobHandler = async ({ services, tenant, log, job, complete }) => {
  const { messageId: communicationId } = job.payload as DeliverPayload;
  const at = { tenantId: tenant.id, communicationId, emailConfigured: services.email.configured };
  const outcome = (fields: { status: CommunicationStatus; error: string | null; channelMessageId?: string; sentAt?: Date }) =>
    finishDelivery({ tenantId: tenant.id, communicationId, ...fields, now: new Date() });
  // The outcome and the job's completion in one statement, unflushed: only `sending` is flushed
  // before the provider is asked (src/db/unflushed.ts).
  const finish = (fields: Parameters<typeof outcome>[0]) => complete(services.sql, [outcome(fields)]);

  const [sending] = await services.sql.query<Sending>(markSending({ ...at, now: new Date() }));
  if (!sending) {
    const [unsent] = await services.sql.query<UnsentReason>(unsentReason(at));
    if (!unsent) throw new Error(`Communication ${communicationId} was not found`);
    if (unsent.status === 'sending') {
      log.warn({ communicationId }, 'a delivery was interrupted mid-request; marked unknown, not sent again');
      await finish({ status: 'unknown', error: 'Delivery was interrupted: it may or may not have been sent, so it was not sent again. Its provider may still report it.' });
    } else if (unsent.status === 'queued') {
      if (!unsent.hasProvider) log.warn({ communicationId, tenant: tenant.slug, channel: unsent.channel }, 'no provider is configured for the channel: the message is kept but not delivered');
      await finish({ status: 'not_sent', error: notSentReason(unsent) });
    }
    // Any other status: already handled by an earlier run of this job.
    return;
  }

  try {
    const accepted = await handOver(services, tenant.id, communicationId, sending);
    // Handed over: `sent`; the provider's reports move it on (delivered, read, failed).
    const now = new Date();
    const report = recordReport(services.orm, {
      id: newId(),
      tenantId: tenant.id,
      communicationId,
      status: 'sent',
      providerStatus: accepted.providerStatus,
      error: null,
      reportedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await complete(services.sql, [outcome({ status: 'sent', channelMessageId: accepted.providerMessageId, sentAt: now, error: null }), report]);
  } catch (error) {
    if (error instanceof DeliveryError && error.outcome === 'retry') {
      await services.sql.query(outcome({ status: 'queued', error: error.message }));
      throw error; // the job retries later
    }
    // Refused for good: failed. Anything else may have left (a provider's error after it had the
    // request, or an error of ours): unknown, never sent again, and its provider may still report it.
    const final = error instanceof DeliveryError && error.outcome === 'rejected' ? 'failed' : 'unknown';
    await finish({ status: final, error: error instanceof DeliveryError ? error.message : errorSummary(error) });
  }
};
