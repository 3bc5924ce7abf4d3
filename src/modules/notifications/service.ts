/**
 * The notifications module's service functions. Other modules (appointment reminders) schedule with
 * `scheduleNotification` and cancel with `cancelNotification` or `cancelAppointmentNotifications`.
 */
export { sendBulkNotification } from './bulk.js';
export { cancelAppointmentNotifications, cancelNotification } from './cancel.js';
export { getNotification, listNotifications, notificationStats } from './read.js';
export { scheduleNotification, sendNotification, type NotificationContent, type ScheduleNotificationInput } from './send.js';
