/** Runs the send-time checks of a batch of notifications due together and hands them to the message pipeline (src/modules/notifications/dispatch.ts). */
export const DISPATCH_JOB = 'notification.dispatch';
/** Notifications due at the same time, at most `DISPATCH_BATCH`. (`notificationId`: one, as queued by the version before batches.) */
export type DispatchPayload = { notificationIds: string[] } | { notificationId: string };
/** Notifications per dispatch job: a bulk send's statements stay few, and its batches still spread over the workers. */
export const DISPATCH_BATCH = 50;
