import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { decodeCursor, page } from '../../db/pagination.js';
import { ormSql } from '../../db/sql.js';
import { notFound } from '../../errors.js';
import { getCommunication } from '../communications/service.js';
import { notificationChannels, Notification } from './entities.js';
import { notificationStatuses, type ListNotificationsInput, type NotificationStatsInput, type NotificationStatus } from './schema.js';
import { countNotifications, listNotifications as listStatement, readListed, type CountRow } from './statements.js';
import { notificationView } from './views.js';

const instant = (text: string | undefined) => (text === undefined ? undefined : new Date(text));

/** The clinic's notifications, latest send time first, filtered by status (the derived one), channel, purpose, patient, batch and send time. */
export async function listNotifications(ctx: AppContext, input: z.output<typeof ListNotificationsInput>) {
  const position = decodeCursor(input.cursor);
  const filters = {
    tenantId: ctx.tenant.id,
    statuses: input.status,
    channel: input.channel,
    purpose: input.purpose,
    patientId: input.patientId,
    batchId: input.batchId,
    since: instant(input.since),
    until: instant(input.until),
  };
  const orm = ctx.services.orm;
  const rows = (await ormSql(ctx.em).query(listStatement(orm, filters, { after: position, limit: input.limit + 1 }))).map((row) => readListed(orm, row));
  return page(rows, input.limit, (row) => ({ at: row.notification.sendAt, id: row.notification.id }), (row) => notificationView(row.notification, row.communicationStatus));
}

/** One notification with its status, skip reason, and its message as the communications module shows it. */
export async function getNotification(ctx: AppContext, id: string) {
  const notification = await ctx.em.findOne(Notification, { id });
  if (!notification) throw notFound('Notification', id);
  const communication = await getCommunication(ctx, notification.communicationId);
  return { ...notificationView(notification, communication.status), communication };
}

/** Counts by derived status and channel, for all notifications, a batch, or a send-time range. */
export async function notificationStats(ctx: AppContext, input: z.output<typeof NotificationStatsInput>) {
  const rows = await ormSql(ctx.em).query<CountRow>(countNotifications({ tenantId: ctx.tenant.id, batchId: input.batchId, since: instant(input.since), until: instant(input.until) }));
  const byStatus = Object.fromEntries(notificationStatuses.map((status) => [status, 0])) as Record<NotificationStatus, number>;
  const byChannel = Object.fromEntries(notificationChannels.map((channel) => [channel, 0])) as Record<(typeof notificationChannels)[number], number>;
  let total = 0;
  for (const row of rows) {
    const count = Number(row.count);
    byStatus[row.status] += count;
    byChannel[row.channel] += count;
    total += count;
  }
  return { total, byStatus, byChannel, byChannelAndStatus: rows.map((row) => ({ channel: row.channel, status: row.status, count: Number(row.count) })) };
}
