/** Runs a notification's send-time checks and hands it to the message pipeline (src/modules/notifications/dispatch.ts). */
export const DISPATCH_JOB = 'notification.dispatch';
export type DispatchPayload = { notificationId: string };
