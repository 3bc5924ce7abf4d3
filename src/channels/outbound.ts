import type { AppContext } from '../context.js';
import { TENANT_FILTER } from '../db/base.js';
import { recordEvent } from '../events.js';
import { newId } from '../ids.js';
import { enqueueJob } from '../jobs/enqueue.js';
import type { JobHandler } from '../jobs/worker.js';
import { Conversation, Message } from '../modules/conversations/entities.js';
import { DeliveryError } from './twilio/gateway.js';

export const DELIVER_JOB = 'message.deliver';

/** Channels whose replies are read from the thread by the channel itself (TwiML, the terminal). */
const deliveredInline = new Set(['voice', 'chat']);

/**
 * Adds an outbound message to the conversation and, for WhatsApp and SMS, queues its delivery, all in
 * the caller's unit of work: a reply exists and will be sent exactly when the turn that wrote it commits.
 */
export function queueOutbound(
  ctx: AppContext,
  conversation: Conversation,
  message: { body: string; authorKind: 'bot' | 'staff' | 'system'; authorId?: string | null },
): Message {
  const now = ctx.clock.now();
  const inline = deliveredInline.has(conversation.channel);
  const outbound = ctx.em.create(Message, {
    id: newId(),
    tenantId: ctx.tenant.id,
    conversationId: conversation.id,
    direction: 'outbound',
    authorKind: message.authorKind,
    authorId: message.authorId ?? null,
    body: message.body,
    media: [],
    channelMessageId: null,
    status: inline ? 'sent' : 'queued',
    error: null,
    sentAt: inline ? now : null,
    deliveredAt: null,
    createdAt: now,
    updatedAt: now,
  });
  conversation.lastMessageAt = now;
  recordEvent(ctx, { type: 'message.created', entityType: 'message', entityId: outbound.id, payload: { conversationId: conversation.id, direction: 'outbound' } });
  if (!inline) {
    enqueueJob(ctx.em, { tenantId: ctx.tenant.id, kind: DELIVER_JOB, payload: { messageId: outbound.id }, serialKey: `deliver:${conversation.id}` });
  }
  return outbound;
}

/**
 * Sends one queued message through Twilio. Never twice: the message is marked `sending` (committed)
 * before the request, and a message found in `sending` — a crash mid-request — is not sent again but
 * marked failed for staff. Retried only when Twilio surely did not get it (connection refused, 429).
 */
export const deliverMessage: JobHandler = async ({ services, tenant, log, job }) => {
  const em = services.orm.em.fork();
  em.setFilterParams(TENANT_FILTER, { tenantId: tenant.id });
  const message = await em.findOneOrFail(Message, { id: String(job.payload.messageId) });
  const conversation = await em.findOneOrFail(Conversation, { id: message.conversationId });
  // One statement each (autocommit): `sending` must be committed before Twilio is asked.
  const finish = (fields: Partial<Pick<Message, 'status' | 'error' | 'channelMessageId' | 'sentAt'>>) =>
    em.nativeUpdate(Message, { id: message.id }, { ...fields, updatedAt: new Date() });

  if (message.status === 'sending') {
    log.warn({ messageId: message.id }, 'message was being sent when its worker stopped; not resending');
    await finish({ status: 'failed', error: 'Delivery was interrupted; it may or may not have been sent, so it was not sent again.' });
    return;
  }
  if (message.status !== 'queued') return;
  if (conversation.optedOutAt && message.authorKind !== 'system') {
    await finish({ status: 'not_sent', error: 'The patient opted out (STOP); nothing is sent until they send START.' });
    return;
  }
  const account = await services.twilio.account(tenant.id);
  if (!account) {
    log.warn({ messageId: message.id, tenant: tenant.slug }, 'Twilio is not configured: the message is kept in the thread but not delivered');
    await finish({ status: 'not_sent', error: 'Twilio is not configured for this clinic; the message was not delivered.' });
    return;
  }

  await finish({ status: 'sending' });
  try {
    const sent = await services.twilio.send(account, {
      channel: conversation.channel === 'whatsapp' ? 'whatsapp' : 'sms',
      to: conversation.contact,
      from: conversation.clinicAddress ?? null,
      body: message.body,
    });
    // Handed to Twilio: `sent` here; Twilio's status callbacks move it on (delivered, read, failed).
    await finish({ status: 'sent', channelMessageId: sent.sid, sentAt: new Date(), error: null });
  } catch (error) {
    if (error instanceof DeliveryError && error.retrySafe) {
      await finish({ status: 'queued', error: error.message });
      throw error; // the job retries later
    }
    await finish({ status: 'failed', error: error instanceof Error ? error.message : String(error) });
  }
};
