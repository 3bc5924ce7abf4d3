import type { MetadataStorage } from '@mikro-orm/core';
import { entityColumns, perOrm } from '../../db/columns.js';
import { insertRows, type Statement } from '../../db/statement.js';
import { jobOfKeyWaiting } from '../../jobs/enqueue.js';
import { Conversation } from '../conversations/entities.js';
import { Communication, CommunicationStatusReport, type CommunicationStatus } from './entities.js';
import { FINAL_STATUSES, STATUS_RANK } from './status-order.js';

/**
 * Every statement a message runs on its way in, through the agent's turn and out to its provider, in
 * one place: plain SQL on the ORM's pooled connections, prepared once per connection (src/db/sql.ts),
 * each naming its tenant. Inserts and select lists come from the entities' metadata.
 */

type Metadata = { getMetadata(): MetadataStorage };

/** A conversation's turns share this serial key, plus its id: one at a time, in order. */
export const TURN_SERIAL_PREFIX = 'conversation:';
/** A conversation's deliveries share this serial key, plus its id: sent in the order written. */
export const DELIVERY_SERIAL_PREFIX = 'deliver:';

// ---- A message arrives -------------------------------------------------------------------------

/**
 * The conversation (one per tenant, channel and contact; concurrent first messages meet on the unique
 * key), locked until the commit. The lock orders a contact's messages: each one's time and id are
 * taken after it, so the thread's order is the order the turns run in.
 */
export function openConversation(orm: Metadata, conversation: Conversation): Statement {
  const insert = insertRows(orm, Conversation, [conversation]);
  const sameContact = conversation.channel === 'email' ? 'lower(p.email) = lower(conversation.contact)' : 'p.phone = conversation.contact';
  return {
    sql: `${insert.sql} on conflict (tenant_id, channel, contact) do update set updated_at = conversation.updated_at
      returning id, patient_id as "patientId",
        patient_id is not null or exists (select 1 from patient p where p.tenant_id = conversation.tenant_id and ${sameContact}) as "contactKnown"`,
    params: insert.params,
  };
}
/** `contactKnown`: the conversation is linked to a patient, or a patient's record has its number (or address). */
export type OpenedConversation = Pick<Conversation, 'id' | 'patientId'> & { contactKnown: boolean };

/**
 * Conversations for messages the clinic starts, many in one statement: each (channel, contact) is
 * inserted, or the existing one is taken (and locked until the commit). The contacts must be distinct.
 * Rows are taken in contact order, so two such statements for overlapping contacts do not deadlock each other.
 */
export function upsertConversations(orm: Metadata, conversations: readonly Conversation[]): Statement {
  const insert = insertRows(orm, Conversation, [...conversations].sort((a, b) => (a.contact < b.contact ? -1 : a.contact > b.contact ? 1 : 0)));
  return {
    sql: `${insert.sql} on conflict (tenant_id, channel, contact) do update set updated_at = conversation.updated_at
      returning id, channel, contact, patient_id as "patientId"`,
    params: insert.params,
  };
}
export type UpsertedConversation = Pick<Conversation, 'id' | 'channel' | 'contact' | 'patientId'>;

/**
 * The message, unless its provider id was stored before (a redelivery: nothing is inserted, no row
 * back), and whether a turn of its conversation is still to run or running. That is read here, in
 * the statement after the conversation's lock was taken, not in the one that waited for it: a
 * statement sees the database as it was when it began, and a turn committed by the transaction it
 * waited for would be missed (this message's turn would then run beside that one, out of order).
 */
export function insertInbound(orm: Metadata, communication: Communication): Statement {
  const insert = insertRows(orm, Communication, [communication]);
  return {
    sql: `${insert.sql} on conflict (tenant_id, channel_message_id) where channel_message_id is not null do nothing
      returning id, ${jobOfKeyWaiting(`? || conversation_id::text`)} as "turnWaiting"`,
    params: [...insert.params, TURN_SERIAL_PREFIX],
  };
}
export type InsertedInbound = { id: string; turnWaiting: boolean };

/** A new message reopens its conversation and moves its last-message time. */
export const touchOnInbound = (at: { tenantId: string; conversationId: string; clinicAddress: string | null; now: Date }): Statement => ({
  sql: `update conversation set last_message_at = ?, updated_at = ?, status = 'open', closed_at = null, clinic_address = coalesce(clinic_address, ?)
    where tenant_id = ? and id = ?`,
  params: [at.now, at.now, at.clinicAddress, at.tenantId, at.conversationId],
});

// ---- The agent's turn --------------------------------------------------------------------------

export const ANSWERED_PROPERTIES = ['id', 'conversationId', 'body', 'media', 'channelMessageId', 'createdAt'] as const;
export const TURN_CONVERSATION_PROPERTIES = [
  'id', 'tenantId', 'channel', 'contact', 'clinicAddress', 'patientId', 'verifiedUntil', 'historyFrom', 'status', 'handledBy',
  'handoffTicketId', 'optedOutAt', 'state', 'lastMessageAt', 'closedAt', 'createdAt', 'updatedAt',
] as const;
export type AnsweredCommunication = Pick<Communication, (typeof ANSWERED_PROPERTIES)[number]>;
export type TurnConversation = Pick<Conversation, (typeof TURN_CONVERSATION_PROPERTIES)[number]>;
export type TurnInputRow = { answered: AnsweredCommunication; conversation: TurnConversation; clinic: { name: string; timeZone: string; defaultCountry: string; profile: Record<string, unknown> } };

const LOCKED_PROPERTIES = ['handledBy', 'state', 'patientId', 'verifiedUntil'] as const;

/** The select lists of the turn's statements, built once per ORM from the metadata. */
const turnColumns = perOrm((orm) => ({
  answered: entityColumns(orm, Communication, { alias: 'm', prefix: 'm.', properties: ANSWERED_PROPERTIES }),
  conversation: entityColumns(orm, Conversation, { alias: 'c', prefix: 'c.', properties: TURN_CONVERSATION_PROPERTIES }),
  locked: entityColumns(orm, Conversation, { alias: 'c', prefix: '', properties: LOCKED_PROPERTIES }),
}));

/** What a turn starts from, in one query (a turn runs for every message): the message, its conversation, the clinic. */
export function turnInput(orm: Metadata, ids: { tenantId: string; conversationId: string; messageId: string }): Statement {
  const columns = turnColumns(orm);
  return {
    sql: `select ${columns.answered.sql}, ${columns.conversation.sql}, t.name as "t.name", t.time_zone as "t.timeZone", t.default_country as "t.defaultCountry", t.profile as "t.profile"
      from communication m join conversation c on c.id = m.conversation_id join tenant t on t.id = m.tenant_id
      where m.tenant_id = ? and m.id = ? and m.conversation_id = ?`,
    params: [ids.tenantId, ids.messageId, ids.conversationId],
  };
}

export function readTurnInput(orm: Metadata, row: Record<string, unknown>): TurnInputRow {
  const columns = turnColumns(orm);
  return {
    answered: columns.answered.read(row),
    conversation: columns.conversation.read(row),
    clinic: {
      name: String(row['t.name']),
      timeZone: String(row['t.timeZone']),
      defaultCountry: String(row['t.defaultCountry']),
      profile: row['t.profile'] as Record<string, unknown>,
    },
  };
}

/**
 * The conversation as the model reads it: the last `limit` messages after `floor` (see
 * `historyFloor`) up to and including the one answered, newest first; not the clinic's messages that
 * were never sent (cancelled, skipped at send time, after a STOP): the patient never saw them.
 */
export const history = (at: { tenantId: string; answering: AnsweredCommunication; floor: Date | null; limit: number }): Statement => ({
  sql: `select direction, author_kind as "authorKind", body, media from communication
    where tenant_id = ? and conversation_id = ? and (created_at, id) <= (?, ?)
      and (created_at > coalesce(?::timestamptz, '-infinity'::timestamptz) or id = ?) and status <> 'not_sent'
    order by created_at desc, id desc limit ?`,
  params: [at.tenantId, at.answering.conversationId, at.answering.createdAt, at.answering.id, at.floor, at.answering.id, at.limit],
});
export type HistoryRow = Pick<Communication, 'direction' | 'authorKind' | 'body' | 'media'>;

/**
 * The conversation, locked for a turn's writes, and whether the turn's commit waits for the WAL
 * flush: only when the channel reads the reply from the turn (voice, the terminal). A WhatsApp, SMS or
 * email reply is promised when it is marked `sending`, a flushed commit (src/db/unflushed.ts).
 */
export function lockForReply(orm: Metadata, at: { tenantId: string; conversationId: string; flushed: boolean }): Statement {
  return {
    sql: `select ${turnColumns(orm).locked.sql}, set_config('synchronous_commit', case when ? then 'on' else 'off' end, true)
      from conversation c where c.tenant_id = ? and c.id = ? for update`,
    params: [at.flushed, at.tenantId, at.conversationId],
  };
}
export type LockedForReply = Pick<Conversation, (typeof LOCKED_PROPERTIES)[number]>;

/** The locked conversation out of `lockForReply`'s row. */
export const readLockedForReply = (orm: Metadata, row: Record<string, unknown>): LockedForReply => turnColumns(orm).locked.read(row);

/**
 * The conversation after a turn: its state, its last message if the turn replied, and where the
 * agent's reading starts when the turn's verification ended before its reply was stored.
 */
export const touchAfterTurn = (at: { tenantId: string; conversationId: string; state: string | null; repliedAt: Date | null; leftBehind: boolean; now: Date }): Statement => ({
  sql: `update conversation set state = coalesce(?::jsonb, state), last_message_at = coalesce(?, last_message_at),
      history_from = case when ?::boolean then greatest(history_from, ?::timestamptz) else history_from end, updated_at = ?
    where tenant_id = ? and id = ?`,
  params: [at.state, at.repliedAt, at.leftBehind, at.now, at.now, at.tenantId, at.conversationId],
});

// ---- A message goes out ------------------------------------------------------------------------

/**
 * Whether the conversation's channel has a provider: email when the service has SMTP settings (a
 * parameter), WhatsApp and SMS when the clinic has a Twilio account.
 */
const HAS_PROVIDER = `case when c.channel = 'email' then ?::boolean else a.account_sid is not null and a.auth_token is not null end`;

/**
 * The usual case, in one statement: a queued message, to an address that may get it (not opted out,
 * or the carrier's own confirmation), on a channel with a provider, marked `sending` (committed
 * before the provider is asked), with what sending it needs.
 */
export const markSending = (at: { tenantId: string; communicationId: string; emailConfigured: boolean; now: Date }): Statement => ({
  sql: `update communication m set status = 'sending', updated_at = ?
      from conversation c join tenant t on t.id = c.tenant_id left join twilio_account a on a.tenant_id = c.tenant_id
     where m.tenant_id = ? and m.id = ? and m.status = 'queued' and c.tenant_id = m.tenant_id and c.id = m.conversation_id
       and (c.opted_out_at is null or m.author_kind = 'system') and ${HAS_PROVIDER}
    returning m.subject, m.body, m.media, m.content_sid as "contentSid", m.content_variables as "contentVariables", c.channel, c.contact, c.clinic_address as "clinicAddress", t.name as "clinicName",
      a.account_sid as "accountSid", a.auth_token as "authToken", a.phone_number as "phoneNumber", a.whatsapp_number as "whatsappNumber"`,
  params: [at.now, at.tenantId, at.communicationId, at.emailConfigured],
});
export type Sending = Pick<Communication, 'subject' | 'body' | 'media' | 'contentSid' | 'contentVariables'> &
  Pick<Conversation, 'channel' | 'contact' | 'clinicAddress'> & {
    clinicName: string;
    /** The clinic's Twilio account; null on email. */
    accountSid: string | null;
    authToken: string | null;
    phoneNumber: string | null;
    whatsappNumber: string | null;
  };

/** Why a message was not marked `sending`: read when `markSending` finds nothing. */
export const unsentReason = (at: { tenantId: string; communicationId: string; emailConfigured: boolean }): Statement => ({
  sql: `select m.status, m.author_kind as "authorKind", c.channel, c.opted_out_at is not null as "optedOut", ${HAS_PROVIDER} as "hasProvider"
    from communication m join conversation c on c.tenant_id = m.tenant_id and c.id = m.conversation_id left join twilio_account a on a.tenant_id = m.tenant_id
    where m.tenant_id = ? and m.id = ?`,
  params: [at.emailConfigured, at.tenantId, at.communicationId],
});
export type UnsentReason = Pick<Communication, 'status' | 'authorKind'> & Pick<Conversation, 'channel'> & { optedOut: boolean; hasProvider: boolean };

/** Messages never handed to their provider are withdrawn: `queued` becomes `not_sent` with each one's reason (nothing happens to one already on its way). */
export const withdrawQueued = (at: { tenantId: string; withdrawn: readonly { communicationId: string; reason: string }[]; now: Date }): Statement => ({
  sql: `update communication m set status = 'not_sent', error = w.reason, updated_at = ?
    from unnest(?::uuid[], ?::text[]) as w(id, reason) where m.tenant_id = ? and m.id = w.id and m.status = 'queued'`,
  params: [at.now, at.withdrawn.map((one) => one.communicationId), at.withdrawn.map((one) => one.reason), at.tenantId],
});

/** A delivery's own outcome: sent (with the provider's id), failed, not sent, unknown, or queued again for a retry. */
export const finishDelivery = (at: { tenantId: string; communicationId: string; status: CommunicationStatus; error: string | null; channelMessageId?: string; sentAt?: Date; now: Date }): Statement => ({
  sql: `update communication set status = ?, error = ?, channel_message_id = coalesce(?, channel_message_id), sent_at = coalesce(?, sent_at), updated_at = ?
    where tenant_id = ? and id = ?`,
  params: [at.status, at.error, at.channelMessageId ?? null, at.sentAt ?? null, at.now, at.tenantId, at.communicationId],
});

// ---- A provider reports a status ---------------------------------------------------------------

/** A status's place in the order (`STATUS_RANK`), in SQL. */
const rankOf = (expression: string) => `case ${expression} ${Object.entries(STATUS_RANK).map(([status, rank]) => `when '${status}' then ${rank}`).join(' ')} end`;
const FINAL_LIST = FINAL_STATUSES.map((status) => `'${status}'`).join(', ');

/** Kept once per communication and status (`communication_status_once`), whatever the current status is. */
export function recordReport(orm: Metadata, report: CommunicationStatusReport): Statement {
  const insert = insertRows(orm, CommunicationStatusReport, [report]);
  return { name: 'report', sql: `${insert.sql} on conflict (communication_id, status) do nothing`, params: insert.params };
}

/**
 * Applies a provider's report to the current status, only forward: never out of a final status, never
 * to an earlier one (a late `sent` after `delivered` changes nothing). Binds the provider's id when the
 * communication has none yet (a delivery interrupted before it was stored: `unknown`).
 */
export const moveStatus = (at: { tenantId: string; communicationId: string; status: CommunicationStatus; channelMessageId: string | null; error: string | null; now: Date }): Statement => ({
  sql: `update communication set status = ?, channel_message_id = coalesce(channel_message_id, ?), error = coalesce(?, error),
      sent_at = case when ? in ('sent', 'delivered', 'read') then coalesce(sent_at, ?) else sent_at end,
      delivered_at = case when ? in ('delivered', 'read') then coalesce(delivered_at, ?) else delivered_at end, updated_at = ?
    where tenant_id = ? and id = ? and status not in (${FINAL_LIST}) and ${rankOf('status')} < ${rankOf('?')}
    returning id`,
  params: [at.status, at.channelMessageId, at.error, at.status, at.now, at.status, at.now, at.now, at.tenantId, at.communicationId, at.status],
});
