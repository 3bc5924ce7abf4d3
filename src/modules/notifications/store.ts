import type { AppContext } from '../../context.js';
import { ormSql } from '../../db/sql.js';
import { executeAll, insertRows } from '../../db/statement.js';
import { DomainEvent, eventRows } from '../../events.js';
import { newId } from '../../ids.js';
import { jobDueAt, jobRow } from '../../jobs/enqueue.js';
import { Job } from '../../jobs/job.js';
import { Communication } from '../communications/entities.js';
import { outboundRows } from '../communications/outbound.js';
import { upsertConversations, type UpsertedConversation } from '../communications/statements.js';
import type { Conversation } from '../conversations/entities.js';
import { Notification, type NotificationChannel, type NotificationPurpose } from './entities.js';
import { DISPATCH_BATCH, DISPATCH_JOB, type DispatchPayload } from './jobs.js';
import { insertNotifications } from './statements.js';

/** One patient's message, rendered and addressed, ready to be scheduled. */
export type PreparedNotification = {
  patientId: string;
  /** The patient's phone (E.164) or email address: the conversation it goes to. */
  contact: string;
  body: string;
  subject: string | null;
  /** WhatsApp: the template's approved Content SID and its rendered variables. */
  contentSid: string | null;
  contentVariables: Record<string, string> | null;
  templateId: string | null;
  templateVersion: number | null;
  appointmentId: string | null;
  /** The appointment's start when this was written (see Notification.appointmentStartsAt). */
  appointmentStartsAt: Date | null;
  dedupeKey: string | null;
};

/** What every notification of one call shares. */
export type Shared = { channel: NotificationChannel; purpose: NotificationPurpose; sendAt: Date; batchId: string | null };

/** A stored notification, or (`deduplicated`) the one a concurrent call stored first with its dedupe key. */
export type Stored = { patientId: string; notification: Notification; deduplicated: boolean };

/** Rows per statement: bounds a statement's size (a bulk email's bodies) while keeping round trips few. */
const CHUNK = 500;

/** The notifications the clinic already has with these dedupe keys, by key. */
export async function existingByDedupeKey(ctx: AppContext, keys: readonly string[]): Promise<Map<string, Notification>> {
  const found = new Map<string, Notification>();
  for (let index = 0; index < keys.length; index += CHUNK) {
    const rows = await ctx.em.find(Notification, { dedupeKey: { $in: keys.slice(index, index + CHUNK) } });
    for (const row of rows) if (row.dedupeKey) found.set(row.dedupeKey, row);
  }
  return found;
}

function newConversation(ctx: AppContext, channel: NotificationChannel, contact: string, now: Date): Conversation {
  return {
    id: newId(),
    tenantId: ctx.tenant.id,
    channel,
    contact,
    clinicAddress: null,
    patientId: null,
    verifiedUntil: null,
    historyFrom: null,
    status: 'open',
    handledBy: 'bot',
    handoffTicketId: null,
    optedOutAt: null,
    state: {},
    lastMessageAt: null,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Schedules the prepared notifications in the caller's transaction, a few statements per 500 whatever
 * their number: each patient's conversation on the channel (upserted), each message as a `queued`
 * communication written at the send time (so the thread, and the agent's history, show it then), the
 * notification, their events, and a dispatch job per `DISPATCH_BATCH` due at the send time. The delivery job is made at
 * dispatch, after the send-time checks. A notification whose dedupe key a concurrent call took first is
 * not stored: that call's notification is returned for it.
 */
export async function storeNotifications(ctx: AppContext, shared: Shared, prepared: readonly PreparedNotification[]): Promise<Stored[]> {
  const stored: Stored[] = [];
  for (let index = 0; index < prepared.length; index += CHUNK) stored.push(...(await storeChunk(ctx, shared, prepared.slice(index, index + CHUNK))));
  return stored;
}

/** The dispatch jobs of notifications due together, one per `DISPATCH_BATCH`. */
function dispatchJobs(tenantId: string, notificationIds: readonly string[], dueAt: Date): Job[] {
  const jobs: Job[] = [];
  for (let index = 0; index < notificationIds.length; index += DISPATCH_BATCH) {
    const payload: DispatchPayload = { notificationIds: notificationIds.slice(index, index + DISPATCH_BATCH) };
    jobs.push(jobRow({ tenantId, kind: DISPATCH_JOB, payload }, dueAt));
  }
  return jobs;
}

async function storeChunk(ctx: AppContext, shared: Shared, prepared: readonly PreparedNotification[]): Promise<Stored[]> {
  const sql = ormSql(ctx.em);
  const orm = ctx.services.orm;
  const now = ctx.clock.now();
  const contacts = [...new Set(prepared.map((item) => item.contact))];
  const conversations = await sql.query<UpsertedConversation>(upsertConversations(orm, contacts.map((contact) => newConversation(ctx, shared.channel, contact, now))));
  const byContact = new Map(conversations.map((conversation) => [conversation.contact, { ...conversation, channel: shared.channel }]));
  const dispatchAt = jobDueAt(ctx.clock, shared.sendAt);

  const built = prepared.map((item) => {
    const conversation = byContact.get(item.contact);
    if (!conversation) throw new Error(`The conversation for a notification's contact was not upserted`);
    const outbound = outboundRows(ctx.tenant.id, conversation, { body: item.body, subject: item.subject, contentSid: item.contentSid, contentVariables: item.contentVariables, authorKind: 'staff', authorId: ctx.actor.id }, now);
    const message: Communication = { ...outbound.message, createdAt: shared.sendAt };
    const notification: Notification = {
      id: newId(),
      tenantId: ctx.tenant.id,
      patientId: item.patientId,
      channel: shared.channel,
      purpose: shared.purpose,
      communicationId: message.id,
      templateId: item.templateId,
      templateVersion: item.templateVersion,
      appointmentId: item.appointmentId,
      appointmentStartsAt: item.appointmentStartsAt,
      sendAt: shared.sendAt,
      dedupeKey: item.dedupeKey,
      batchId: shared.batchId,
      state: 'scheduled',
      skipReason: null,
      dispatchedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    const scheduled = eventRows(
      ctx.tenant.id,
      { type: 'notification.scheduled', entityType: 'notification', entityId: notification.id, payload: { patientId: item.patientId, communicationId: message.id, batchId: shared.batchId, channel: shared.channel, purpose: shared.purpose } },
      now,
    );
    // The message's delivery job waits for the dispatch: only its event's subscribers are kept.
    const jobs = [...outbound.jobs.filter((job) => job !== outbound.delivery), ...scheduled.jobs];
    return { item, notification, message, events: [outbound.event, scheduled.event], jobs };
  });

  const inserted = new Set((await sql.query<{ id: string }>(insertNotifications(orm, built.map((row) => row.notification)))).map((row) => row.id));
  const kept = built.filter((row) => inserted.has(row.notification.id));
  if (kept.length > 0) {
    const jobs = [...kept.flatMap((row) => row.jobs), ...dispatchJobs(ctx.tenant.id, kept.map((row) => row.notification.id), dispatchAt)];
    await executeAll(sql, [
      insertRows(orm, Communication, kept.map((row) => row.message)),
      insertRows(orm, DomainEvent, kept.flatMap((row) => row.events)),
      ...(jobs.length > 0 ? [insertRows(orm, Job, jobs)] : []),
    ]);
  }
  const lost = built.filter((row) => !inserted.has(row.notification.id));
  const taken = lost.length > 0 ? await existingByDedupeKey(ctx, lost.map((row) => row.item.dedupeKey ?? '')) : new Map<string, Notification>();
  return built.map((row) => {
    if (inserted.has(row.notification.id)) return { patientId: row.item.patientId, notification: row.notification, deduplicated: false };
    const first = taken.get(row.item.dedupeKey ?? '');
    if (!first) throw new Error(`Notification ${row.notification.id} was not stored, and no notification has its dedupe key`);
    return { patientId: row.item.patientId, notification: first, deduplicated: true };
  });
}
