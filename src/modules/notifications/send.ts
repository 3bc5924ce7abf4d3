import { DateTime } from 'luxon';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { requireAppointment } from '../appointments/appointments.js';
import { fieldError, parseInstant } from '../appointments/time.js';
import { Communication } from '../communications/entities.js';
import type { Patient } from '../patients/entities.js';
import { requireActivePatient } from '../patients/lookup.js';
import { renderTemplate } from '../templates/service.js';
import type { Notification, NotificationChannel, NotificationPurpose } from './entities.js';
import type { SendNotificationInput } from './schema.js';
import { existingByDedupeKey, storeNotifications, type PreparedNotification } from './store.js';
import { notificationView } from './views.js';

/** What a notification says: a template rendered for the patient, or a plain text. */
export type NotificationContent =
  | { template: { name: string; locale?: string; version?: number }; values?: Record<string, string> }
  | { body: string; subject?: string };

export type ScheduleNotificationInput = {
  patientId: string;
  channel: NotificationChannel;
  purpose: NotificationPurpose;
  content: NotificationContent;
  appointmentId?: string;
  /** Default now. At most a minute in the past (it then means now) and a year ahead. */
  sendAt?: Date;
  dedupeKey?: string;
};

const PAST_SLACK_MS = 60_000;

/**
 * The send time, checked against the service's clock: a minute in the past is clock skew and means
 * now; further back, or more than a year ahead, is a 400 naming `sendAt`.
 */
export function checkedSendAt(ctx: AppContext, sendAt: Date | undefined): Date {
  const now = ctx.clock.now();
  if (!sendAt) return now;
  if (sendAt.getTime() < now.getTime() - PAST_SLACK_MS) throw fieldError('invalid_input', 'sendAt', `sendAt ${sendAt.toISOString()} is in the past.`, { issue: 'must not be in the past' });
  const latest = DateTime.fromJSDate(now, { zone: ctx.tenant.timeZone }).plus({ years: 1 });
  if (sendAt.getTime() > latest.toMillis()) throw fieldError('invalid_input', 'sendAt', `sendAt may be at most a year ahead (until ${latest.toISO()}).`, { issue: 'at most a year ahead' });
  return sendAt > now ? sendAt : now;
}

/** A send time from input text: with an offset, that instant; without, clinic local time. */
export const parseSendAt = (ctx: AppContext, text: string | undefined): Date | undefined => (text === undefined ? undefined : parseInstant(text, ctx.tenant.timeZone, 'sendAt').toJSDate());

/** Where the channel reaches the patient: their phone for WhatsApp and SMS, their email address for email. */
export function addressFor(patient: Pick<Patient, 'phone' | 'email'>, channel: NotificationChannel): { field: 'phone' | 'email'; address: string | null } {
  return channel === 'email' ? { field: 'email', address: patient.email ?? null } : { field: 'phone', address: patient.phone ?? null };
}

/** The reason a patient has no address for the channel, for a refusal. */
export const noAddressReason = (channel: NotificationChannel, field: 'phone' | 'email') =>
  `The patient has no ${field === 'phone' ? 'phone number' : 'email address'}; ${channel} messages go to it.`;

/** The view of a notification the clinic already has, with its communication's status. */
async function existingView(ctx: AppContext, notification: Notification) {
  const communication = await ctx.em.findOneOrFail(Communication, { id: notification.communicationId }, { fields: ['status'] });
  return { ...notificationView(notification, communication.status), deduplicated: true };
}

/**
 * Schedules one notification, in the caller's transaction: rendered now (a template's 422 for a
 * variable without a value propagates, and nothing is stored), sent at `sendAt` after the send-time
 * checks (see dispatch.ts). A `dedupeKey` the clinic has used answers with the notification it made,
 * whatever else is asked, and makes nothing new. For other modules (appointment reminders): pass the
 * appointment, and a dedupe key per reminder, such as `reminder:<appointmentId>:24h`.
 */
export async function scheduleNotification(ctx: AppContext, input: ScheduleNotificationInput) {
  if (input.dedupeKey !== undefined) {
    const existing = (await existingByDedupeKey(ctx, [input.dedupeKey])).get(input.dedupeKey);
    if (existing) return existingView(ctx, existing);
  }
  const sendAt = checkedSendAt(ctx, input.sendAt);
  const patient = await requireActivePatient(ctx, input.patientId);
  const { field, address } = addressFor(patient, input.channel);
  if (!address) throw fieldError('unprocessable', `patient.${field}`, noAddressReason(input.channel, field), { details: { patientId: patient.id, missing: field } });
  const appointment = input.appointmentId ? await requireAppointment(ctx, input.appointmentId, patient.id) : undefined;

  let message: Pick<PreparedNotification, 'body' | 'subject' | 'contentSid' | 'contentVariables' | 'templateId' | 'templateVersion'>;
  if ('template' in input.content) {
    const rendered = await renderTemplate(ctx, {
      ...input.content.template,
      channel: input.channel,
      patientId: patient.id,
      appointmentId: input.appointmentId,
      values: input.content.values,
    }).catch((error: unknown) => {
      throw templateNotFound(error) ?? error;
    });
    message = {
      body: rendered.body,
      subject: rendered.subject ?? null,
      contentSid: rendered.contentSid ?? null,
      contentVariables: rendered.contentVariables ?? null,
      templateId: rendered.templateId,
      templateVersion: rendered.version,
    };
  } else {
    message = { body: input.content.body, subject: input.content.subject ?? null, contentSid: null, contentVariables: null, templateId: null, templateVersion: null };
  }

  const [stored] = await storeNotifications(ctx, { channel: input.channel, purpose: input.purpose, sendAt, batchId: null }, [
    { patientId: patient.id, contact: address, appointmentId: appointment?.id ?? null, appointmentStartsAt: appointment?.startAt ?? null, dedupeKey: input.dedupeKey ?? null, ...message },
  ]);
  if (stored.deduplicated) return existingView(ctx, stored.notification);
  return { ...notificationView(stored.notification, 'queued'), deduplicated: false };
}

/** A template that does not exist is named by the field that asked for it. */
function templateNotFound(error: unknown): AppError | undefined {
  if (!(error instanceof AppError) || error.code !== 'not_found' || !error.details?.localesTried) return undefined;
  return new AppError('not_found', error.message, { issues: [{ path: 'template.name', message: 'no published template by this name on this channel in these locales' }], details: error.details });
}

/** `send_notification`: the operation's input as `scheduleNotification` takes it. */
export function sendNotification(ctx: AppContext, input: z.output<typeof SendNotificationInput>) {
  const content: NotificationContent = input.template ? { template: input.template, values: input.values } : { body: input.body ?? '', subject: input.subject };
  return scheduleNotification(ctx, {
    patientId: input.patientId,
    channel: input.channel,
    purpose: input.purpose,
    content,
    appointmentId: input.appointmentId,
    sendAt: parseSendAt(ctx, input.sendAt),
    dedupeKey: input.dedupeKey,
  });
}
