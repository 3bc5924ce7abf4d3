import { turnJob } from '../agent/turn.js';
import { deliverCommunication } from '../modules/communications/delivery.js';
import { ANSWER_JOB, DELIVER_JOB } from '../modules/communications/jobs.js';
import { summarizeIntake } from '../modules/intake/summarize.js';
import { SUMMARIZE_JOB } from '../modules/intake/subscriptions.js';
import { runJourneyActions } from '../modules/journeys/actions.js';
import { applyEventToJourneys } from '../modules/journeys/consumer.js';
import { ACT_JOB, APPLY_JOB, TIMER_JOB } from '../modules/journeys/subscriptions.js';
import { fireJourneyTimer } from '../modules/journeys/timers.js';
import { fetchInboundMedia } from '../modules/media/inbound.js';
import { MEDIA_PURGE_JOB, purgeMedia } from '../modules/media/purge.js';
import { FETCH_INBOUND_MEDIA_JOB } from '../modules/media/subscriptions.js';
import { dispatchNotification } from '../modules/notifications/dispatch.js';
import { DISPATCH_JOB } from '../modules/notifications/jobs.js';
import { REMINDERS_JOB } from '../modules/reminders/subscriptions.js';
import { syncReminders } from '../modules/reminders/sync.js';
import { vectorJobHandlers } from '../modules/vector/jobs.js';
import { DELIVER_WEBHOOK_JOB, deliverWebhook } from '../modules/webhooks/delivery.js';
import type { JobHandler } from './worker.js';

/** Every job kind and the function that runs it. */
export const jobHandlers: Readonly<Record<string, JobHandler>> = {
  [ANSWER_JOB]: turnJob,
  [DELIVER_JOB]: deliverCommunication,
  [DISPATCH_JOB]: dispatchNotification,
  [REMINDERS_JOB]: syncReminders,
  [DELIVER_WEBHOOK_JOB]: deliverWebhook,
  [MEDIA_PURGE_JOB]: purgeMedia,
  [FETCH_INBOUND_MEDIA_JOB]: fetchInboundMedia,
  [SUMMARIZE_JOB]: summarizeIntake,
  [APPLY_JOB]: applyEventToJourneys,
  [ACT_JOB]: runJourneyActions,
  [TIMER_JOB]: fireJourneyTimer,
  ...vectorJobHandlers,
};
