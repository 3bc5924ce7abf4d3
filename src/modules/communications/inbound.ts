import type { Services, TenantInfo } from '../../context.js';
import { executeAll, insertRows } from '../../db/statement.js';
import { DomainEvent, eventRows } from '../../events.js';
import { newId } from '../../ids.js';
import { jobRow } from '../../jobs/enqueue.js';
import { Job } from '../../jobs/job.js';
import { storableText } from '../../tools/input-text.js';
import { ANSWER_JOB } from './jobs.js';
import { insertInbound, openConversation, touchOnInbound, TURN_SERIAL_PREFIX, type InsertedInbound, type OpenedConversation } from './statements.js';
import type { ConversationChannel } from '../conversations/entities.js';
import type { MediaReference } from './entities.js';

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
 * The message as PostgreSQL can store it. This is the one place patients' text enters the database, on
 * every door (Twilio's webhooks, the chat CLI): a NUL (refused in text) or a lone UTF-16 surrogate
 * (refused in JSON, where the agent keeps what it read) becomes U+FFFD here, once, rather than
 * failing the message on every retry, and everything downstream (the turn, tickets, the run log)
 * reads well-formed text. Twilio's webhook also drops NUL from its fields, for its number lookup.
 */
const storable = (inbound: InboundMessage): InboundMessage => ({
  ...inbound,
  body: storableText(inbound.body),
  media: inbound.media?.map((item) => ({ ...item, url: storableText(item.url), contentType: item.contentType === null ? null : storableText(item.contentType) })),
});

/**
 * Stores an inbound message and queues the agent's turn for it, in one transaction, then has it run:
 * once this returns, the message is safe and will be answered, even if the process dies now. Turns of
 * one conversation run one at a time, in arrival order. Three statements (every inbound message comes
 * through here): the conversation, the message, then its event, the turn's job and the conversation's
 * touch. The turn's job is inserted already claimed by this process when it has room and the
 * conversation has no turn waiting (the conversation's row, locked by the first statement, keeps that
 * true until the commit), and it runs right after the commit with no claim.
 */
export async function receiveInbound(services: Services, tenant: TenantInfo, received: InboundMessage): Promise<Received> {
  const inbound = storable(received);
  const reservation = services.jobs.reserve();
  let claimedTurn: Job | undefined;
  try {
    const received = await services.sql.transaction(async (sql) => {
      const opened = services.clock.now();
      const [conversation] = await sql.query<OpenedConversation>(
        openConversation(services.orm, {
          id: newId(),
          tenantId: tenant.id,
          channel: inbound.channel,
          contact: inbound.contact,
          clinicAddress: inbound.clinicAddress ?? null,
          patientId: null,
          verifiedUntil: null,
          historyFrom: null,
          status: 'open',
          handledBy: 'bot',
          handoffTicketId: null,
          optedOutAt: null,
          state: {},
          lastMessageAt: opened,
          closedAt: null,
          createdAt: opened,
          updatedAt: opened,
        }),
      );
      const conversationId = conversation.id;
      const now = services.clock.now();
      const [inserted] = await sql.query<InsertedInbound>(
        insertInbound(services.orm, {
          id: newId(),
          tenantId: tenant.id,
          conversationId,
          direction: 'inbound',
          authorKind: 'patient',
          authorId: inbound.contact,
          subject: null,
          contentSid: null,
          contentVariables: null,
          body: inbound.body,
          media: inbound.media ?? [],
          channelMessageId: inbound.channelMessageId ?? null,
          status: 'received',
          error: null,
          sentAt: null,
          deliveredAt: null,
          createdAt: now,
          updatedAt: now,
        }),
      );
      // A redelivery: the no-op upsert above changed nothing, and nothing else happens.
      if (!inserted) return { duplicate: true, conversationId, messageId: null, turnJobId: null, otherJobs: [] };
      const messageId = inserted.id;

      const event = eventRows(tenant.id, { type: 'communication.created', entityType: 'communication', entityId: messageId, payload: { conversationId, patientId: conversation.patientId, contactKnown: conversation.contactKnown, direction: 'inbound', mediaCount: inbound.media?.length ?? 0 } }, now);
      const claimed = reservation && !inserted.turnWaiting ? services.jobs.claimUntil() : undefined;
      const turn = jobRow({ tenantId: tenant.id, kind: ANSWER_JOB, payload: { conversationId, messageId }, serialKey: `${TURN_SERIAL_PREFIX}${conversationId}` }, new Date(), claimed);
      await executeAll(sql, [
        insertRows(services.orm, DomainEvent, [event.event]),
        insertRows(services.orm, Job, [...event.jobs, turn]),
        touchOnInbound({ tenantId: tenant.id, conversationId, clinicAddress: inbound.clinicAddress ?? null, now }),
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
