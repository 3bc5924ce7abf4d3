import type { MetadataStorage } from '@mikro-orm/core';
import { entityColumns, perOrm } from '../../db/columns.js';
import { insertRows, type Statement } from '../../db/statement.js';
import { Appointment } from '../appointments/entities.js';
import { Communication, type CommunicationStatus } from '../communications/entities.js';
import { Conversation } from '../conversations/entities.js';
import { latestConsent } from '../patients/ops/consent.js';
import { Patient } from '../patients/entities.js';
import { Notification, type NotificationChannel } from './entities.js';
import type { NotificationStatus } from './schema.js';

/**
 * The notifications module's SQL: the multi-row insert of a bulk send, a notification's send time
 * (every notification runs it), the clinic's pacing slot, and the reads that need the derived status,
 * which spans the notification and its communication. Each names its tenant; select lists come from
 * the entities' metadata.
 */

type Metadata = { getMetadata(): MetadataStorage };

/** The notifications, but none whose dedupe key the clinic already has (a concurrent send took it): their ids are not returned. */
export function insertNotifications(orm: Metadata, rows: readonly Notification[]): Statement {
  const insert = insertRows(orm, Notification, rows);
  return { sql: `${insert.sql} on conflict (tenant_id, dedupe_key) where dedupe_key is not null do nothing returning id`, params: insert.params };
}

// ---- A notification's send time (dispatch.ts) ---------------------------------------------------

const buildDispatchColumns = (orm: Metadata) => ({
  notification: entityColumns(orm, Notification, {
    alias: 'n',
    prefix: 'n.',
    properties: ['id', 'patientId', 'channel', 'purpose', 'communicationId', 'appointmentId', 'appointmentStartsAt', 'state'] as const,
  }),
  communication: entityColumns(orm, Communication, { alias: 'm', prefix: 'm.', properties: ['conversationId', 'createdAt'] as const }),
  conversation: entityColumns(orm, Conversation, { alias: 'c', prefix: 'c.', properties: ['contact', 'optedOutAt'] as const }),
  patient: entityColumns(orm, Patient, { alias: 'p', prefix: 'p.', properties: ['status', 'mergedIntoId', 'phone', 'email'] as const }),
  appointment: entityColumns(orm, Appointment, { alias: 'a', prefix: 'a.', properties: ['status', 'startAt'] as const }),
});
/** The select lists of a dispatch's statements, built once per ORM from the metadata. */
const dispatchColumns = perOrm(buildDispatchColumns);

/**
 * Everything the send-time checks of a batch of notifications read, in one query, with the
 * notifications locked until the commit (a cancel waits for the dispatch, or the dispatch for the
 * cancel; taken in id order): each one's message and conversation, the patient and the appointment as
 * they are now (null when gone), the patient's current consent for the purpose on the channel, and the
 * clinic's settings.
 */
export function dispatchInput(orm: Metadata, at: { tenantId: string; notificationIds: readonly string[] }): Statement {
  const columns = dispatchColumns(orm);
  return {
    sql: `select ${columns.notification.sql}, ${columns.communication.sql}, ${columns.conversation.sql}, ${columns.patient.sql}, ${columns.appointment.sql},
        ${latestConsent({ tenantId: 'n.tenant_id', patientId: 'n.patient_id', channel: 'n.channel', purpose: 'n.purpose' })} as consent, t.profile as "clinicProfile"
      from notification n
      join communication m on m.tenant_id = n.tenant_id and m.id = n.communication_id
      join conversation c on c.tenant_id = m.tenant_id and c.id = m.conversation_id
      join tenant t on t.id = n.tenant_id
      left join patient p on p.tenant_id = n.tenant_id and p.id = n.patient_id
      left join appointment a on a.tenant_id = n.tenant_id and a.id = n.appointment_id
      where n.tenant_id = ? and n.id = any(?::uuid[])
      order by n.id
      for update of n`,
    params: [at.tenantId, at.notificationIds],
  };
}

export type DispatchInput = {
  notification: Pick<Notification, 'id' | 'patientId' | 'channel' | 'purpose' | 'communicationId' | 'appointmentId' | 'appointmentStartsAt' | 'state'>;
  communication: Pick<Communication, 'conversationId' | 'createdAt'>;
  conversation: Pick<Conversation, 'contact' | 'optedOutAt'>;
  /** Null when the patient's row is gone. */
  patient: Pick<Patient, 'status' | 'mergedIntoId' | 'phone' | 'email'> | null;
  /** Null when the notification is about no appointment, or it is gone. */
  appointment: Pick<Appointment, 'status' | 'startAt'> | null;
  consent: 'granted' | 'revoked' | null;
  clinicProfile: Record<string, unknown>;
};

export function readDispatchInput(orm: Metadata, row: Record<string, unknown>): DispatchInput {
  const columns = dispatchColumns(orm);
  return {
    notification: columns.notification.read(row),
    communication: columns.communication.read(row),
    conversation: columns.conversation.read(row),
    patient: row['p.status'] === null ? null : columns.patient.read(row),
    appointment: row['a.status'] === null ? null : columns.appointment.read(row),
    consent: row.consent as DispatchInput['consent'],
    clinicProfile: row.clinicProfile as Record<string, unknown>,
  };
}

/** Notifications handed to the message pipeline. */
export const markDispatched = (at: { tenantId: string; notificationIds: readonly string[]; now: Date }): Statement => ({
  sql: `update notification set state = 'dispatched', dispatched_at = ?, updated_at = ? where tenant_id = ? and id = any(?::uuid[])`,
  params: [at.now, at.now, at.tenantId, at.notificationIds],
});

/** Notifications a send-time check refused, each with its reason (their messages: `withdrawQueued`). */
export const markSkipped = (at: { tenantId: string; skipped: readonly { notificationId: string; reason: string }[]; now: Date }): Statement => ({
  sql: `update notification n set state = 'skipped', skip_reason = s.reason, updated_at = ?
    from unnest(?::uuid[], ?::text[]) as s(id, reason) where n.tenant_id = ? and n.id = s.id`,
  params: [at.now, at.skipped.map((one) => one.notificationId), at.skipped.map((one) => one.reason), at.tenantId],
});

/** Each message is now its conversation's latest, unless a later one is already. */
export const touchForDispatch = (at: { tenantId: string; messages: readonly { conversationId: string; createdAt: Date }[]; now: Date }): Statement => ({
  sql: `update conversation c set last_message_at = greatest(c.last_message_at, v.at), updated_at = ?
    from (select id, max(at) as at from unnest(?::uuid[], ?::timestamptz[]) as u(id, at) group by id) v where c.tenant_id = ? and c.id = v.id`,
  params: [at.now, at.messages.map((one) => one.conversationId), at.messages.map((one) => one.createdAt), at.tenantId],
});

/**
 * The clinic's next `count` sending slots, by the database's clock (the one jobs run by): the first is
 * the later of its stored slot and now, the others `intervalMs` apart after it, and the stored slot
 * moves past them. One statement, so dispatches in any number of processes take distinct slots; the
 * row stays locked until the caller's commit.
 */
export const takeSendSlots = (at: { tenantId: string; intervalMs: number; count: number }): Statement => ({
  sql: `insert into send_pace (tenant_id, next_at) values (?, clock_timestamp() + ? * interval '1 millisecond')
    on conflict (tenant_id) do update set next_at = greatest(send_pace.next_at, clock_timestamp()) + ? * interval '1 millisecond'
    returning next_at - ? * interval '1 millisecond' as slot`,
  params: [at.tenantId, at.intervalMs * at.count, at.intervalMs * at.count, at.intervalMs * at.count],
});
export type SendSlot = { slot: Date | string };

const ALL_PROPERTIES = [
  'id', 'tenantId', 'patientId', 'channel', 'purpose', 'communicationId', 'templateId', 'templateVersion', 'appointmentId', 'appointmentStartsAt', 'sendAt',
  'dedupeKey', 'batchId', 'state', 'skipReason', 'dispatchedAt', 'createdAt', 'updatedAt',
] as const;
const notificationColumns = perOrm((orm) => entityColumns(orm, Notification, { alias: 'n', prefix: 'n.', properties: ALL_PROPERTIES }));

/** The derived status (see `derivedStatus`), in SQL. */
const STATUS = `case when n.state = 'dispatched' then m.status else n.state end`;
const FROM = 'from notification n join communication m on m.tenant_id = n.tenant_id and m.id = n.communication_id';

export type NotificationFilters = {
  tenantId: string;
  statuses?: readonly NotificationStatus[];
  channel?: NotificationChannel;
  purpose?: Notification['purpose'];
  patientId?: string;
  batchId?: string;
  since?: Date;
  until?: Date;
};

function where(filters: NotificationFilters): { sql: string; params: unknown[] } {
  const conditions = ['n.tenant_id = ?'];
  const params: unknown[] = [filters.tenantId];
  const add = (condition: string, ...values: unknown[]) => {
    conditions.push(condition);
    params.push(...values);
  };
  if (filters.statuses && filters.statuses.length > 0) add(`${STATUS} in (${filters.statuses.map(() => '?').join(', ')})`, ...filters.statuses);
  if (filters.channel) add('n.channel = ?', filters.channel);
  if (filters.purpose) add('n.purpose = ?', filters.purpose);
  if (filters.patientId) add('n.patient_id = ?', filters.patientId);
  if (filters.batchId) add('n.batch_id = ?', filters.batchId);
  if (filters.since) add('n.send_at >= ?', filters.since);
  if (filters.until) add('n.send_at < ?', filters.until);
  return { sql: conditions.join(' and '), params };
}

/** A page of notifications with their communications' status, latest send time first, after `position`. */
export function listNotifications(orm: Metadata, filters: NotificationFilters, page: { after?: { at: Date; id: string }; limit: number }): Statement {
  const condition = where(filters);
  const after = page.after ? { sql: ' and (n.send_at, n.id) < (?, ?)', params: [page.after.at, page.after.id] } : { sql: '', params: [] };
  return {
    sql: `select ${notificationColumns(orm).sql}, m.status as "communicationStatus" ${FROM}
      where ${condition.sql}${after.sql} order by n.send_at desc, n.id desc limit ?`,
    params: [...condition.params, ...after.params, page.limit],
  };
}
export type ListedRow = { notification: Notification; communicationStatus: CommunicationStatus };

export const readListed = (orm: Metadata, row: Record<string, unknown>): ListedRow => ({
  notification: notificationColumns(orm).read(row),
  communicationStatus: row.communicationStatus as CommunicationStatus,
});

/** Counts by channel and derived status. */
export function countNotifications(filters: NotificationFilters): Statement {
  const condition = where(filters);
  return { sql: `select n.channel, ${STATUS} as status, count(*)::int as count ${FROM} where ${condition.sql} group by 1, 2`, params: condition.params };
}
export type CountRow = { channel: NotificationChannel; status: NotificationStatus; count: number };
