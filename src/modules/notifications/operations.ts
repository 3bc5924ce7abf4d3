import { defineOperation } from '../../tools/operation.js';
import {
  CancelNotificationInput,
  GetNotificationInput,
  ListNotificationsInput,
  ListNotificationsOutput,
  NotificationDetail,
  NotificationStatsInput,
  NotificationStatsOutput,
  NotificationView,
  SendBulkNotificationInput,
  SendBulkNotificationOutput,
  SendNotificationInput,
  SendNotificationOutput,
} from './schema.js';
import * as notifications from './service.js';

const tag = 'notifications';
const read = { readOnly: true, destructive: false, idempotent: true };
const staff = { roles: ['staff'] } as const;

export const notificationOperations = [
  defineOperation({
    name: 'send_notification',
    title: 'Send a notification',
    description:
      'Sends a patient a message the clinic starts, by template or as a plain body, now or at sendAt (clinic time). At send time it is sent only if the patient consented to the purpose on the channel, has not opted out (STOP) and is still active, and not inside the clinic’s quiet hours (it waits for their end). A dedupeKey used before answers with the notification it made.',
    tag,
    input: SendNotificationInput,
    output: SendNotificationOutput,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: staff,
    http: { method: 'post', path: '/notifications' },
    run: (ctx, input) => notifications.sendNotification(ctx, input),
  }),
  defineOperation({
    name: 'send_bulk_notification',
    title: 'Send a notification to many patients',
    description:
      'Sends one template to up to 10,000 patients (named, or those with appointments on a day), each their own notification with the same send-time checks; patients who cannot get it (not found, deleted, no phone or email for the channel, a variable without a value for them) are listed as refused and the others are sent.',
    tag,
    input: SendBulkNotificationInput,
    output: SendBulkNotificationOutput,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: staff,
    http: { method: 'post', path: '/notifications/bulk' },
    run: (ctx, input) => notifications.sendBulkNotification(ctx, input),
  }),
  defineOperation({
    name: 'cancel_notification',
    title: 'Cancel a notification',
    description: 'Cancels a notification whose message has not left: scheduled, or dispatched but still queued. Otherwise a 422 says why.',
    tag,
    input: CancelNotificationInput,
    output: NotificationView,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access: staff,
    http: { method: 'post', path: '/notifications/{id}/cancel' },
    run: (ctx, input) => notifications.cancelNotification(ctx, input.id),
  }),
  defineOperation({
    name: 'list_notifications',
    title: 'List notifications',
    description: 'Notifications, latest send time first, with their status: filter by status, channel, purpose, patient, bulk send (batchId) and send time.',
    tag,
    input: ListNotificationsInput,
    output: ListNotificationsOutput,
    annotations: read,
    access: staff,
    http: { method: 'get', path: '/notifications' },
    run: (ctx, input) => notifications.listNotifications(ctx, input),
  }),
  defineOperation({
    name: 'notification_stats',
    title: 'Notification totals',
    description: 'How many notifications are in each status and on each channel: all, one bulk send (batchId), or by send time.',
    tag,
    input: NotificationStatsInput,
    output: NotificationStatsOutput,
    annotations: read,
    access: staff,
    http: { method: 'get', path: '/notifications/stats' },
    run: (ctx, input) => notifications.notificationStats(ctx, input),
  }),
  defineOperation({
    name: 'get_notification',
    title: 'Get a notification',
    description: 'One notification with its status, why it was skipped if it was, and its message with every delivery report.',
    tag,
    input: GetNotificationInput,
    output: NotificationDetail,
    annotations: read,
    access: staff,
    http: { method: 'get', path: '/notifications/{id}' },
    run: (ctx, input) => notifications.getNotification(ctx, input.id),
  }),
];
