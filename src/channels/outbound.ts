import type { AppContext } from '../context.js';
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
  recordEvent(ctx, { type: 'message.created', entityType: 'message', entityId: outbound.id, payload: { conversationId: conversation.id, patientId: conversation.patientId ?? null, direction: 'outbound' } });
  if (!inline) {
    enqueueJob(ctx.em, { tenantId: ctx.tenant.id, kind: DELIVER_JOB, payload: { messageId: outbound.id }, serialKey: `deliver:${conversation.id}` });
  }
  return outbound;
}

type Sendable = {
  body: string;
  channel: Conversation['channel'];
  contact: string;
  clinic_address: string | null;
  account_sid: string;
  auth_token: string;
  phone_number: string | null;
  whatsapp_number: string | null;
};

/**
 * The usual case, in one statement: a queued message, to a number that may get it, from a clinic with
 * a Twilio account, marked `sending` (committed before Twilio is asked), with what sending it needs.
 */
const MARK_SENDING = `update message m set status = 'sending', updated_at = ?
    from conversation c join twilio_account a on a.tenant_id = c.tenant_id
   where m.tenant_id = ? and m.id = ? and m.status = 'queued' and c.id = m.conversation_id
     and (c.opted_out_at is null or m.author_kind = 'system')
     and a.account_sid is not null and a.auth_token is not null
  returning m.body, c.channel, c.contact, c.clinic_address, a.account_sid, a.auth_token, a.phone_number, a.whatsapp_number`;

/** Why a message is not sendable: read when MARK_SENDING finds nothing. */
const UNSENT = `select m.status, m.author_kind, c.opted_out_at is not null as opted_out, a.account_sid is not null and a.auth_token is not null as has_account
  from message m join conversation c on c.id = m.conversation_id left join twilio_account a on a.tenant_id = m.tenant_id
  where m.tenant_id = ? and m.id = ?`;

type UnsentRow = { status: Message['status']; author_kind: Message['authorKind']; opted_out: boolean; has_account: boolean };

/**
 * Sends one queued message through Twilio. Never twice: the message is marked `sending` (committed)
 * before the request, and a message found in `sending` — a crash mid-request — is not sent again but
 * marked failed for staff. Retried only when Twilio surely did not get it (connection refused, 429).
 */
export const deliverMessage: JobHandler = async ({ services, tenant, log, job }) => {
  const em = services.orm.em.fork();
  const messageId = String(job.payload.messageId);
  // One statement each (autocommit).
  const finish = (fields: Partial<Pick<Message, 'status' | 'error' | 'channelMessageId' | 'sentAt'>>) =>
    em.nativeUpdate(Message, { id: messageId, tenantId: tenant.id }, { ...fields, updatedAt: new Date() }, { filters: false });

  const [message] = await em.execute<Sendable[]>(MARK_SENDING, [new Date(), tenant.id, messageId]);
  if (!message) {
    const [unsent] = await em.execute<UnsentRow[]>(UNSENT, [tenant.id, messageId]);
    if (!unsent) throw new Error(`Message ${messageId} was not found`);
    if (unsent.status === 'sending') {
      log.warn({ messageId }, 'message was being sent when its worker stopped; not resending');
      await finish({ status: 'failed', error: 'Delivery was interrupted; it may or may not have been sent, so it was not sent again.' });
    } else if (unsent.status !== 'queued') {
      // Already handled by an earlier run of this job.
    } else if (unsent.opted_out && unsent.author_kind !== 'system') {
      await finish({ status: 'not_sent', error: 'The patient opted out (STOP); nothing is sent until they send START.' });
    } else if (!unsent.has_account) {
      log.warn({ messageId, tenant: tenant.slug }, 'Twilio is not configured: the message is kept in the thread but not delivered');
      await finish({ status: 'not_sent', error: 'Twilio is not configured for this clinic; the message was not delivered.' });
    }
    return;
  }

  try {
    const account = { accountSid: message.account_sid, authToken: message.auth_token, phoneNumber: message.phone_number, whatsappNumber: message.whatsapp_number };
    const sent = await services.twilio.send(account, {
      channel: message.channel === 'whatsapp' ? 'whatsapp' : 'sms',
      to: message.contact,
      from: message.clinic_address,
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
