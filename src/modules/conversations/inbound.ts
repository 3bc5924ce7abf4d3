import type { Services, TenantInfo } from '../../context.js';
import { createContext } from '../../context.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { enqueueJob } from '../../jobs/enqueue.js';
import { tenantEntityManager } from '../../tools/runner.js';
import type { ConversationChannel, MediaReference } from './entities.js';

export const TURN_JOB = 'agent.turn';

export type InboundMessage = {
  channel: ConversationChannel;
  /** The patient's address: E.164 for phone channels. */
  contact: string;
  /** Our number it was sent to. */
  clinicAddress?: string | null;
  body: string;
  media?: MediaReference[];
  /** The channel's id (Twilio MessageSid): a redelivery with the same id is stored once. */
  channelMessageId?: string | null;
};

export type Received = { duplicate: boolean; conversationId: string; messageId: string | null; turnJobId: string | null };

/**
 * Stores an inbound message and queues the agent's turn for it, in one transaction, then nudges the
 * worker: once this returns, the message is safe and will be answered, even if the process dies now.
 * Turns of one conversation run one at a time, in arrival order.
 */
export async function receiveInbound(services: Services, tenant: TenantInfo, inbound: InboundMessage): Promise<Received> {
  const em = tenantEntityManager(services, tenant.id);
  const received = await em.transactional(async (transaction) => {
    const ctx = createContext(services, { tenant, actor: { kind: 'patient', id: inbound.contact, role: 'system' }, channel: inbound.channel }, transaction);
    const now = ctx.clock.now();
    // One conversation per tenant, channel and contact; concurrent first messages meet on the unique key.
    const [conversation] = await transaction.execute<{ id: string; patient_id: string | null }[]>(
      `insert into conversation (id, tenant_id, channel, contact, clinic_address, status, handled_by, state, last_message_at, created_at, updated_at)
       values (?, ?, ?, ?, ?, 'open', 'bot', '{}', ?, ?, ?)
       on conflict (tenant_id, channel, contact) do update set updated_at = conversation.updated_at
       returning id, patient_id`,
      [newId(), tenant.id, inbound.channel, inbound.contact, inbound.clinicAddress ?? null, now, now, now],
    );
    const messageId = newId();
    // The message, and (only if it is new) the conversation's reopening and last-message time.
    const inserted = await transaction.execute<{ id: string }[]>(
      `with inserted as (
         insert into message (id, tenant_id, conversation_id, direction, author_kind, author_id, body, media, channel_message_id, status, created_at, updated_at)
         values (?, ?, ?, 'inbound', 'patient', ?, ?, ?, ?, 'received', ?, ?)
         on conflict (tenant_id, channel_message_id) do nothing
         returning id),
       touched as (
         update conversation set last_message_at = ?, updated_at = ?, status = 'open', closed_at = null, clinic_address = coalesce(clinic_address, ?)
          where id = ? and exists (select 1 from inserted))
       select id from inserted`,
      [messageId, tenant.id, conversation.id, inbound.contact, inbound.body, JSON.stringify(inbound.media ?? []), inbound.channelMessageId ?? null, now, now,
        now, now, inbound.clinicAddress ?? null, conversation.id],
    );
    // A redelivery: the no-op upsert above changed nothing, and nothing else happens.
    if (inserted.length === 0) return { duplicate: true, conversationId: conversation.id, messageId: null, turnJobId: null };

    recordEvent(ctx, { type: 'message.created', entityType: 'message', entityId: messageId, payload: { conversationId: conversation.id, patientId: conversation.patient_id, direction: 'inbound' } });
    const job = enqueueJob(transaction, {
      tenantId: tenant.id,
      kind: TURN_JOB,
      payload: { conversationId: conversation.id, messageId },
      serialKey: `conversation:${conversation.id}`,
    });
    return { duplicate: false, conversationId: conversation.id, messageId, turnJobId: job.id };
  });
  if (!received.duplicate) services.jobs.nudge();
  return received;
}

