import type { Services, TenantInfo } from '../../context.js';
import { executeAll, insertRows } from '../../db/statement.js';
import { DomainEvent, eventRows } from '../../events.js';
import { newId } from '../../ids.js';
import { jobOfKeyWaiting, jobRow } from '../../jobs/enqueue.js';
import { Job } from '../../jobs/job.js';
import { ANSWER_JOB } from './jobs.js';
import type { ConversationChannel } from '../conversations/entities.js';
import type { MediaReference } from './entities.js';

/** A conversation's turns share this serial key, plus its id: one at a time, in order. */
const TURN_SERIAL_PREFIX = 'conversation:';

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
 * The conversation (one per tenant, channel and contact; concurrent first messages meet on the unique
 * key), locked until the commit, and whether a turn of it is still to run or running. The lock orders
 * a contact's messages: each one's time and id are taken after it, so the thread's order is the order
 * the turns run in.
 */
const OPEN_CONVERSATION = `
  with conversation_row as (
    insert into conversation (id, tenant_id, channel, contact, clinic_address, status, handled_by, state, last_message_at, created_at, updated_at)
    values (?, ?, ?, ?, ?, 'open', 'bot', '{}', ?, ?, ?)
    on conflict (tenant_id, channel, contact) do update set updated_at = conversation.updated_at
    returning id, patient_id)
  select c.id, c.patient_id, ${jobOfKeyWaiting(`? || c.id::text`)} as turn_waiting
    from conversation_row c`;

/** The message, unless its channel id was stored before (a redelivery: nothing is inserted). */
const INSERT_MESSAGE = `insert into communication (id, tenant_id, conversation_id, direction, author_kind, author_id, body, media, channel_message_id, status, created_at, updated_at)
  values (?, ?, ?, 'inbound', 'patient', ?, ?, ?, ?, 'received', ?, ?)
  on conflict (tenant_id, channel_message_id) where channel_message_id is not null do nothing
  returning id`;

/** A new message reopens its conversation and moves its last-message time. */
const TOUCH_CONVERSATION = `update conversation set last_message_at = ?, updated_at = ?, status = 'open', closed_at = null, clinic_address = coalesce(clinic_address, ?) where id = ?`;

/**
 * Stores an inbound message and queues the agent's turn for it, in one transaction, then has it run:
 * once this returns, the message is safe and will be answered, even if the process dies now. Turns of
 * one conversation run one at a time, in arrival order. Three statements (every inbound message comes
 * through here): the conversation, the message, then its event, the turn's job and the conversation's
 * touch. The turn's job is inserted already claimed by this process when it has room and the
 * conversation has no turn waiting (the conversation's row, locked by the first statement, keeps that
 * true until the commit), and it runs right after the commit with no claim.
 */
export async function receiveInbound(services: Services, tenant: TenantInfo, inbound: InboundMessage): Promise<Received> {
  const reservation = services.jobs.reserve();
  let claimedTurn: Job | undefined;
  try {
    const received = await services.sql.transaction(async (sql) => {
      const opened = services.clock.now();
      const [conversation] = await sql.query<{ id: string; patient_id: string | null; turn_waiting: boolean }>({
        sql: OPEN_CONVERSATION,
        params: [newId(), tenant.id, inbound.channel, inbound.contact, inbound.clinicAddress ?? null, opened, opened, opened, TURN_SERIAL_PREFIX],
      });
      const conversationId = conversation.id;
      const now = services.clock.now();
      const [inserted] = await sql.query<{ id: string }>({
        sql: INSERT_MESSAGE,
        params: [newId(), tenant.id, conversationId, inbound.contact, inbound.body, JSON.stringify(inbound.media ?? []), inbound.channelMessageId ?? null, now, now],
      });
      // A redelivery: the no-op upsert above changed nothing, and nothing else happens.
      if (!inserted) return { duplicate: true, conversationId, messageId: null, turnJobId: null, otherJobs: [] };
      const messageId = inserted.id;

      const event = eventRows(tenant.id, { type: 'communication.created', entityType: 'message', entityId: messageId, payload: { conversationId, patientId: conversation.patient_id, direction: 'inbound' } }, now);
      const claimed = reservation && !conversation.turn_waiting ? services.jobs.claimUntil() : undefined;
      const turn = jobRow({ tenantId: tenant.id, kind: ANSWER_JOB, payload: { conversationId, messageId }, serialKey: `${TURN_SERIAL_PREFIX}${conversationId}` }, new Date(), claimed);
      await executeAll(sql, [
        insertRows(services.orm, DomainEvent, [event.event]),
        insertRows(services.orm, Job, [...event.jobs, turn]),
        { sql: TOUCH_CONVERSATION, params: [now, now, inbound.clinicAddress ?? null, conversationId] },
      ]);
      if (claimed) claimedTurn = turn;
      return { duplicate: false, conversationId, messageId, turnJobId: turn.id, otherJobs: [...event.jobs, ...(claimed ? [] : [turn])].map((job) => job.id) };
    });
    if (reservation) services.jobs.settle(reservation, claimedTurn && { job: claimedTurn, tenant });
    services.jobs.nudge(received.otherJobs);
    return { duplicate: received.duplicate, conversationId: received.conversationId, messageId: received.messageId, turnJobId: received.turnJobId };
  } finally {
    if (reservation) services.jobs.settle(reservation); // a failure: the place goes back (no-op once settled)
  }
}
