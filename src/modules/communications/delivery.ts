import type { JobHandler } from '../../jobs/worker.js';
import { newId } from '../../ids.js';
import { errorSummary } from '../../log.js';
import type { CommunicationStatus } from './entities.js';
import { DeliveryError } from './delivery-error.js';
import type { DeliverPayload } from './jobs.js';
import { finishDelivery, markSending, recordReport, unsentReason, type Sending, type UnsentReason } from './statements.js';

/**
 * Sends one queued communication through its provider, exactly once or not at all:
 * - it is marked `sending` (a flushed commit) before the provider is asked;
 * - one found still `sending` was interrupted mid-request (a crash): it may have left, so it is never
 *   sent again but marked `unknown` for staff; its status callback (whose URL carries our id) still
 *   binds it to the provider's id and moves it on when the provider reports it;
 * - it is retried only when the provider surely did not get it (a refused connection, a 429).
 */
export const deliverCommunication: JobHandler = async ({ services, tenant, log, job, complete }) => {
  const { messageId: communicationId } = job.payload as DeliverPayload;
  const at = { tenantId: tenant.id, communicationId };
  const outcome = (fields: { status: CommunicationStatus; error: string | null; channelMessageId?: string; sentAt?: Date }) =>
    finishDelivery({ ...at, ...fields, now: new Date() });
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
    } else if (unsent.status !== 'queued') {
      // Already handled by an earlier run of this job.
    } else if (unsent.optedOut && unsent.authorKind !== 'system') {
      await finish({ status: 'not_sent', error: 'The patient opted out (STOP); nothing is sent until they send START.' });
    } else if (!unsent.hasAccount) {
      log.warn({ communicationId, tenant: tenant.slug }, 'Twilio is not configured: the message is kept in the thread but not delivered');
      await finish({ status: 'not_sent', error: 'Twilio is not configured for this clinic; the message was not delivered.' });
    }
    return;
  }

  try {
    const sent = await services.twilio.send(sending, {
      channel: sending.channel === 'whatsapp' ? 'whatsapp' : 'sms',
      to: sending.contact,
      from: sending.clinicAddress ?? null,
      body: sending.body,
      communicationId,
    });
    // Handed over: `sent`; the provider's status callbacks move it on (delivered, read, failed).
    const now = new Date();
    const report = recordReport(services.orm, {
      id: newId(),
      tenantId: tenant.id,
      communicationId,
      status: 'sent',
      providerStatus: sent.status,
      error: null,
      reportedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await complete(services.sql, [outcome({ status: 'sent', channelMessageId: sent.sid, sentAt: now, error: null }), report]);
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
