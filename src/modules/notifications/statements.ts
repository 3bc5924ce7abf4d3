import type { MetadataStorage } from '@mikro-orm/core';
import { entityColumns, type Columns } from '../../db/columns.js';
import { insertRows, type Statement } from '../../db/statement.js';
import type { CommunicationStatus } from '../communications/entities.js';
import { Notification, type NotificationChannel } from './entities.js';
import type { NotificationStatus } from './schema.js';

/**
 * The notifications module's SQL: the multi-row insert of a bulk send, the clinic's pacing slot, and
 * the reads that need the derived status, which spans the notification and its communication. Each
 * names its tenant; select lists come from the entities' metadata.
 */

type Metadata = { getMetadata(): MetadataStorage };

/** The notifications, but none whose dedupe key the clinic already has (a concurrent send took it): their ids are not returned. */
export function insertNotifications(orm: Metadata, rows: readonly Notification[]): Statement {
  const insert = insertRows(orm, Notification, rows);
  return { sql: `${insert.sql} on conflict (tenant_id, dedupe_key) where dedupe_key is not null do nothing returning id`, params: insert.params };
}

/**
 * The clinic's next sending slot, by the database's clock (the one jobs run by): the later of its
 * stored slot and now, which moves on by `intervalMs`. One statement, so dispatches in any number of
 * processes take distinct slots `intervalMs` apart; the row stays locked until the caller's commit.
 */
export const takeSendSlot = (at: { tenantId: string; intervalMs: number }): Statement => ({
  sql: `insert into send_pace (tenant_id, next_at) values (?, clock_timestamp() + ? * interval '1 millisecond')
    on conflict (tenant_id) do update set next_at = greatest(send_pace.next_at, clock_timestamp()) + ? * interval '1 millisecond'
    returning next_at - ? * interval '1 millisecond' as slot`,
  params: [at.tenantId, at.intervalMs, at.intervalMs, at.intervalMs],
});
export type SendSlot = { slot: Date | string };

const ALL_PROPERTIES = [
  'id', 'tenantId', 'patientId', 'channel', 'purpose', 'communicationId', 'templateId', 'templateVersion', 'appointmentId', 'appointmentStartsAt', 'sendAt',
  'dedupeKey', 'batchId', 'state', 'skipReason', 'dispatchedAt', 'createdAt', 'updatedAt',
] as const;
const columnsByOrm = new WeakMap<Metadata, Columns<Notification, (typeof ALL_PROPERTIES)[number]>>();

function notificationColumns(orm: Metadata): Columns<Notification, (typeof ALL_PROPERTIES)[number]> {
  let known = columnsByOrm.get(orm);
  if (!known) {
    known = entityColumns(orm, Notification, { alias: 'n', prefix: 'n.', properties: ALL_PROPERTIES });
    columnsByOrm.set(orm, known);
  }
  return known;
}

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
