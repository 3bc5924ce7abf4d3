import type { AppContext } from '../context.js';
import { DomainEvent, eventRows } from '../events.js';
import { newId } from '../ids.js';
import { jobRow } from '../jobs/enqueue.js';
import { Job } from '../jobs/job.js';
import type { JobHandler } from '../jobs/worker.js';
import { Conversation, Message } from '../modules/conversations/entities.js';
import { DeliveryError } from './delivery.js';

export const DELIVER_JOB = 'message.deliver';

/** Channels whose replies are read from the thread by the channel itself (TwiML, the terminal). */
const deliveredInline = new Set(['voice', 'chat']);
export const repliesInline = (channel: Conversation['channel']) => deliveredInline.has(channel);

type NewOutbound = { body: string; authorKind: 'bot' | 'staff' | 'system'; authorId?: string | null };

/**
 * The rows of a new outbound message: the message, its `message.created` event with its subscribers'
 * jobs, and its delivery job (WhatsApp, SMS; inserted claimed by this process with `claimDeliveryUntil`).
 */
export type OutboundRows = { message: Message; event: DomainEvent; jobs: Job[]; delivery: Job | null };

export const DELIVERY_SERIAL_PREFIX = 'deliver:';

export function outboundRows(
  tenantId: string,
  conversation: Pick<Conversation, 'id' | 'channel' | 'patientId'>,
  message: NewOutbound,
  now: Date,
  claimDeliveryUntil?: Date,
): OutboundRows {
  const inline = repliesInline(conversation.channel);
  const id = newId();
  const row: Message = {
    id,
    tenantId,
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
  };
  const event = eventRows(tenantId, { type: 'message.created', entityType: 'message', entityId: id, payload: { conversationId: conversation.id, patientId: conversation.patientId ?? null, direction: 'outbound' } }, now);
  const delivery = inline ? null : jobRow({ tenantId, kind: DELIVER_JOB, payload: { messageId: id }, serialKey: `${DELIVERY_SERIAL_PREFIX}${conversation.id}` }, new Date(), claimDeliveryUntil);
  return { message: row, event: event.event, jobs: delivery ? [...event.jobs, delivery] : event.jobs, delivery };
}

/**
 * Adds an outbound message to the conversation and, for WhatsApp and SMS, queues its delivery, all in
 * the caller's unit of work: a message exists and will be sent exactly when the change that wrote it
 * commits. After the commit, `services.jobs.nudge([deliveryJobId])` sends it at once. (The agent's
 * turn writes the same rows in its one statement, see src/agent/turn.ts.)
 */
export function queueOutbound(ctx: AppContext, conversation: Conversation, message: NewOutbound): { message: Message; deliveryJobId: string | null } {
  const rows = outboundRows(ctx.tenant.id, conversation, message, ctx.clock.now());
  const created = ctx.em.create(Message, rows.message);
  for (const job of rows.jobs) ctx.em.create(Job, job);
  ctx.em.create(DomainEvent, rows.event);
  conversation.lastMessageAt = rows.message.createdAt;
  return { message: created, deliveryJobId: rows.delivery?.id ?? null };
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

/** A delivery's outcome: sent (with Twilio's sid), failed, not sent, or queued again for a retry. */
const FINISH = `update message set status = ?, error = ?, channel_message_id = coalesce(?, channel_message_id), sent_at = coalesce(?, sent_at), updated_at = ?
  where tenant_id = ? and id = ?`;

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
export const deliverMessage: JobHandler = async ({ services, tenant, log, job, complete }) => {
  const messageId = String(job.payload.messageId);
  // The outcome and the job's completion in one statement, unflushed: only `sending` is flushed
  // before Twilio is asked (src/db/unflushed.ts).
  const outcome = (fields: { status: Message['status']; error: string | null; channelMessageId?: string; sentAt?: Date }) => ({
    sql: FINISH,
    params: [fields.status, fields.error, fields.channelMessageId ?? null, fields.sentAt ?? null, new Date(), tenant.id, messageId],
  });
  const finish = (fields: Parameters<typeof outcome>[0]) => complete(services.sql, [outcome(fields)]);

  const [message] = await services.sql.query<Sendable>({ sql: MARK_SENDING, params: [new Date(), tenant.id, messageId] });
  if (!message) {
    const [unsent] = await services.sql.query<UnsentRow>({ sql: UNSENT, params: [tenant.id, messageId] });
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
      await services.sql.query(outcome({ status: 'queued', error: error.message }));
      throw error; // the job retries later
    }
    await finish({ status: 'failed', error: error instanceof Error ? error.message : String(error) });
  }
};
