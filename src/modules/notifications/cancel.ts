import { LockMode } from '@mikro-orm/core';
import type { AppContext } from '../../context.js';
import { notFound, unprocessable } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { withdrawOutbound } from '../communications/outbound.js';
import { Notification } from './entities.js';
import type { NotificationView } from './schema.js';
import { notificationView } from './views.js';

const CANCELLED_BY_STAFF = 'Cancelled by staff';

type Cancelled = { cancelled: true; view: NotificationView } | { cancelled: false; why: string };

/**
 * Cancels a locked notification while its message has not left: `scheduled`, or dispatched with its
 * message still `queued`. The message becomes `not_sent` with `reason`, so its delivery, if already
 * queued, finds nothing to send.
 */
async function cancelLocked(ctx: AppContext, notification: Notification, reason: string): Promise<Cancelled> {
  if (notification.state === 'cancelled') return { cancelled: false, why: 'It was already cancelled.' };
  if (notification.state === 'skipped') return { cancelled: false, why: `It was not sent: ${notification.skipReason ?? 'a send-time check refused it'}` };
  const withdrawn = await withdrawOutbound(ctx, notification.communicationId, reason);
  if (!withdrawn.withdrawn) return { cancelled: false, why: `Its message is already ${withdrawn.status.replace('_', ' ')}; it can no longer be cancelled.` };
  notification.state = 'cancelled';
  notification.updatedAt = ctx.clock.now();
  recordEvent(ctx, { type: 'notification.cancelled', entityType: 'notification', entityId: notification.id, payload: { communicationId: notification.communicationId, reason, by: ctx.actor.id } });
  return { cancelled: true, view: notificationView(notification, withdrawn.status) };
}

/**
 * Cancels a notification whose message has not left yet (scheduled, or dispatched but still queued);
 * otherwise a 422 saying why. `reason` is kept on the message (default "Cancelled by staff").
 */
export async function cancelNotification(ctx: AppContext, id: string, options: { reason?: string } = {}): Promise<NotificationView> {
  const notification = await ctx.em.findOne(Notification, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!notification) throw notFound('Notification', id);
  const outcome = await cancelLocked(ctx, notification, options.reason ?? CANCELLED_BY_STAFF);
  if (!outcome.cancelled) throw unprocessable(`Notification ${id} cannot be cancelled: ${outcome.why}`, { state: notification.state });
  return outcome.view;
}

/**
 * Cancels every notification about the appointment whose message has not left (for a cancelled or
 * moved appointment's reminders), in the caller's transaction; the others are left as they are.
 */
export async function cancelAppointmentNotifications(ctx: AppContext, appointmentId: string, reason: string): Promise<{ cancelled: string[] }> {
  const notifications = await ctx.em.find(
    Notification,
    { appointmentId, state: { $in: ['scheduled', 'dispatched'] } },
    { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: [{ id: 'asc' }] },
  );
  const cancelled: string[] = [];
  for (const notification of notifications) {
    if ((await cancelLocked(ctx, notification, reason)).cancelled) cancelled.push(notification.id);
  }
  return { cancelled };
}
