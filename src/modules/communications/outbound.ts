import { LockMode } from '@mikro-orm/core';
import type { AppContext } from '../../context.js';
import { DomainEvent, eventRows } from '../../events.js';
import { newId } from '../../ids.js';
import { jobRow } from '../../jobs/enqueue.js';
import { Job } from '../../jobs/job.js';
import type { Conversation } from '../conversations/entities.js';
import { Communication, type CommunicationStatus, type MediaReference } from './entities.js';
import { DELIVER_JOB } from './jobs.js';
import { DELIVERY_SERIAL_PREFIX } from './statements.js';

/** Channels whose replies are read from the thread by the channel itself (TwiML, the terminal). */
const deliveredInline = new Set(['voice', 'chat']);
export const repliesInline = (channel: Conversation['channel']) => deliveredInline.has(channel);

/** `subject`: email only. `contentSid`/`contentVariables`: a WhatsApp Content template (see Communication). */
type NewOutbound = {
  body: string;
  subject?: string | null;
  contentSid?: string | null;
  contentVariables?: Record<string, string> | null;
  authorKind: 'bot' | 'staff' | 'system';
  authorId?: string | null;
  /** Clinic files sent with it (WhatsApp, MMS). */
  media?: MediaReference[];
};

/**
 * The rows of a new outbound message: the message, its `message.created` event with its subscribers'
 * jobs, and its delivery job (WhatsApp, SMS), pending.
 */
export type OutboundRows = { message: Communication; event: DomainEvent; jobs: Job[]; delivery: Job | null };

export function outboundRows(
  tenantId: string,
  conversation: Pick<Conversation, 'id' | 'channel' | 'patientId'>,
  message: NewOutbound,
  now: Date,
): OutboundRows {
  const inline = repliesInline(conversation.channel);
  const id = newId();
  const row: Communication = {
    id,
    tenantId,
    conversationId: conversation.id,
    direction: 'outbound',
    authorKind: message.authorKind,
    authorId: message.authorId ?? null,
    subject: message.subject ?? null,
    contentSid: message.contentSid ?? null,
    contentVariables: message.contentVariables ?? null,
    body: message.body,
    media: message.media ?? [],
    channelMessageId: null,
    status: inline ? 'sent' : 'queued',
    error: null,
    sentAt: inline ? now : null,
    deliveredAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const event = eventRows(tenantId, { type: 'communication.created', entityType: 'communication', entityId: id, payload: { conversationId: conversation.id, patientId: conversation.patientId ?? null, direction: 'outbound' } }, now);
  const delivery = inline ? null : deliveryJob({ tenantId, conversationId: conversation.id, messageId: id, runAt: new Date() });
  return { message: row, event: event.event, jobs: delivery ? [...event.jobs, delivery] : event.jobs, delivery };
}

/**
 * The job that hands an outbound communication to its provider: a conversation's deliveries share a
 * serial key, so they are sent in the order written. Due at `runAt`, by the database's clock (as every job).
 */
export function deliveryJob(at: { tenantId: string; conversationId: string; messageId: string; runAt: Date }): Job {
  return jobRow({ tenantId: at.tenantId, kind: DELIVER_JOB, payload: { messageId: at.messageId }, serialKey: `${DELIVERY_SERIAL_PREFIX}${at.conversationId}` }, at.runAt);
}

/**
 * Withdraws an outbound communication that was never handed to its provider: a `queued` one becomes
 * `not_sent` with `reason`, in the caller's unit of work; its delivery job, if any, then finds nothing
 * to send. The row is locked, so a delivery starting at the same moment either finds it withdrawn
 * or has marked it `sending` first, and then it is not withdrawn (false, with its status).
 */
export async function withdrawOutbound(ctx: AppContext, communicationId: string, reason: string): Promise<{ withdrawn: boolean; status: CommunicationStatus }> {
  const communication = await ctx.em.findOneOrFail(Communication, { id: communicationId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (communication.status !== 'queued') return { withdrawn: false, status: communication.status };
  communication.status = 'not_sent';
  communication.error = reason;
  communication.updatedAt = ctx.clock.now();
  return { withdrawn: true, status: communication.status };
}

/**
 * Adds an outbound message to the conversation and, for WhatsApp and SMS, queues its delivery, all in
 * the caller's unit of work: a message exists and will be sent exactly when the change that wrote it
 * commits. After the commit, `services.jobs.nudge([deliveryJobId])` sends it at once. (The agent's
 * turn writes the same rows in its one statement, see src/agent/turn.ts.)
 */
export function queueOutbound(ctx: AppContext, conversation: Conversation, message: NewOutbound): { message: Communication; deliveryJobId: string | null } {
  const rows = outboundRows(ctx.tenant.id, conversation, message, ctx.clock.now());
  const created = ctx.em.create(Communication, rows.message);
  for (const job of rows.jobs) ctx.em.create(Job, job);
  ctx.em.create(DomainEvent, rows.event);
  conversation.lastMessageAt = rows.message.createdAt;
  return { message: created, deliveryJobId: rows.delivery?.id ?? null };
}
