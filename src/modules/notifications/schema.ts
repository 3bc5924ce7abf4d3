import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { DateOnly, Id, InstantInput, Timestamp, TimestampInput } from '../../schema.js';
import { CommunicationDetail } from '../communications/schema.js';
import { RenderTemplateInput, bodyLimits } from '../templates/schema.js';
import { notificationChannels, notificationPurposes, notificationStates } from './entities.js';

/** At most this many patients in one bulk send (named, or matched by a filter). */
export const MAX_RECIPIENTS = 10_000;

/**
 * The status staff see: the notification's state until it is dispatched, then its communication's
 * delivery status.
 */
export const notificationStatuses = ['scheduled', 'cancelled', 'skipped', 'queued', 'sending', 'unknown', 'sent', 'delivered', 'read', 'failed', 'undelivered', 'not_sent'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

const Status = z
  .enum(notificationStatuses)
  .describe(
    'scheduled (waiting for its send time), cancelled, skipped (a send-time check refused it); once dispatched, its message’s delivery status: queued → sending → sent → delivered → read, failed, undelivered, unknown (maybe sent, never resent), not_sent.',
  );
const Channel = z.enum(notificationChannels).describe('whatsapp, sms or email: to the patient’s phone (WhatsApp, SMS) or email address.');
const Purpose = z
  .enum(notificationPurposes)
  .describe('care_messages, appointment_reminders or marketing: the patient’s consent for this purpose on this channel is checked at send time.');
const SendAt = TimestampInput.describe(
  'When to send it: clinic local time (2026-12-01T09:30) or with an offset; default now. At most a minute in the past (then: now) and a year ahead.',
);
const DedupeKey = z
  .string()
  .regex(/^[\x20-\x7e]{1,200}$/, '1 to 200 printable ASCII characters')
  .describe('Your key for this message (unique in the clinic): sending with a key used before answers with the notification it made, and makes nothing new, whatever else is sent.');
const TemplateChoice = z
  .strictObject({
    name: RenderTemplateInput.shape.name,
    locale: RenderTemplateInput.shape.locale,
    version: RenderTemplateInput.shape.version.describe('A published version number; omitted: the latest published.'),
  })
  .describe('The template to render for the patient: its name on the channel; the locale falls back as for every template.');
const Values = RenderTemplateInput.shape.values;

export const SendNotificationInput = z
  .strictObject({
    patientId: Id.describe('The patient it is for.'),
    channel: Channel,
    purpose: Purpose,
    template: TemplateChoice.optional(),
    body: z
      .string()
      .max(bodyLimits.email)
      .refine((text) => text.trim() !== '', 'must not be blank')
      .optional()
      .describe('A plain message instead of a template, sent as written: at most 1,600 characters on SMS, 1,024 on WhatsApp, 100,000 on email.'),
    subject: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .regex(/^[^\r\n]*$/, 'one line')
      .optional()
      .describe('Email with a plain body only: the subject line (default "A message from <clinic>").'),
    appointmentId: Id.optional().describe('The appointment it is about (the patient’s): appointment.* variables, and its reminders are found by it.'),
    values: Values,
    sendAt: SendAt.optional(),
    dedupeKey: DedupeKey.optional(),
  })
  .superRefine((input, context) => {
    const issue = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    if (input.template && input.body !== undefined) issue('body', 'give a template or a body, not both');
    if (!input.template && input.body === undefined) issue('template', 'give a template or a body');
    if (input.body !== undefined && input.body.length > bodyLimits[input.channel]) {
      issue('body', `at most ${bodyLimits[input.channel]} characters on ${input.channel} (this one has ${input.body.length})`);
    }
    if (input.subject !== undefined && input.channel !== 'email') issue('subject', 'only email has a subject');
    else if (input.subject !== undefined && input.body === undefined) issue('subject', 'only with a body: a template has its own subject');
    if (input.values !== undefined && input.body !== undefined) issue('values', 'values fill a template’s variables; a plain body has none');
  });

const Recipients = z
  .strictObject({
    patientIds: z.array(Id).min(1).max(MAX_RECIPIENTS).optional().describe('These patients (1 to 10,000; a repeated id counts once).'),
    appointmentsOn: DateOnly.optional().describe('Every patient with an appointment (booked or confirmed) on this clinic-local day; appointment.* is their appointment that day (the first, when they have several).'),
    locationId: Id.optional().describe('With appointmentsOn: only appointments at this location.'),
    practitionerId: Id.optional().describe('With appointmentsOn: only appointments with this practitioner.'),
  })
  .superRefine((recipients, context) => {
    if ((recipients.patientIds === undefined) === (recipients.appointmentsOn === undefined)) {
      context.addIssue({ code: 'custom', path: ['patientIds'], message: 'give patientIds or appointmentsOn (one of them)' });
    }
    for (const field of ['locationId', 'practitionerId'] as const) {
      if (recipients[field] !== undefined && recipients.appointmentsOn === undefined) context.addIssue({ code: 'custom', path: [field], message: 'only with appointmentsOn' });
    }
  })
  .describe('Who gets it: patientIds, or the patients with appointments on a day (appointmentsOn, optionally at a location or with a practitioner). At most 10,000 patients.');

export const SendBulkNotificationInput = z.strictObject({
  recipients: Recipients,
  channel: Channel,
  purpose: Purpose,
  template: TemplateChoice,
  values: Values,
  sendAt: SendAt.optional(),
  dedupeKey: DedupeKey.optional().describe('Your key for this send: each patient’s notification gets `<key>:<patientId>`, so sending again with it makes nothing new for anyone who has one.'),
});

export const NotificationView = z.object({
  id: Id,
  patientId: Id,
  channel: Channel,
  purpose: Purpose,
  status: Status,
  state: z.enum(notificationStates).describe('scheduled, dispatched (handed to the message pipeline), cancelled or skipped.'),
  skipReason: z.string().nullable().describe('Why a send-time check refused it (skipped).'),
  communicationId: Id.describe('The message itself, in the patient’s conversation (GET /communications/{id}).'),
  template: z.object({ id: Id, version: z.number().int() }).nullable().describe('The template version rendered; null for a plain body.'),
  appointmentId: Id.nullable(),
  sendAt: Timestamp,
  dedupeKey: z.string().nullable(),
  batchId: Id.nullable().describe('The bulk send it was part of.'),
  dispatchedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type NotificationView = z.infer<typeof NotificationView>;

export const SendNotificationOutput = NotificationView.extend({
  deduplicated: z.boolean().describe('true: the dedupeKey was used before; this is the notification it made, and nothing new was made.'),
});

export const refusalCodes = ['patient_not_found', 'patient_deleted', 'patient_merged', 'no_address', 'missing_variable', 'not_rendered'] as const;

export const SendBulkNotificationOutput = z.object({
  batchId: Id.describe('This send’s id: filter notifications and stats by it.'),
  accepted: z.number().int().describe('Notifications made by this call.'),
  deduplicated: z.number().int().describe('Patients who already had a notification with this dedupeKey: listed with it, nothing new made.'),
  notifications: z.array(z.object({ patientId: Id, notificationId: Id, deduplicated: z.boolean() })),
  refused: z
    .array(z.object({ patientId: Id, code: z.enum(refusalCodes), reason: z.string() }))
    .describe('Patients who get nothing, and why: patient_not_found, patient_deleted, patient_merged, no_address (no phone or email for the channel), missing_variable (a template variable has no value for them), not_rendered.'),
});

export const NotificationDetail = NotificationView.extend({
  communication: CommunicationDetail.describe('The message: its body, subject, conversation and delivery status with every provider report.'),
});

export const GetNotificationInput = z.strictObject({ id: Id.describe('The notification id.') });
export const CancelNotificationInput = z.strictObject({ id: Id.describe('The notification id.') });

export const ListNotificationsInput = z.strictObject({
  status: z.array(Status).max(notificationStatuses.length).optional().describe('Only these statuses (repeat the key or separate with commas).'),
  channel: Channel.optional(),
  purpose: Purpose.optional(),
  patientId: Id.optional(),
  batchId: Id.optional(),
  since: InstantInput.optional().describe('Send time at or after this instant.'),
  until: InstantInput.optional().describe('Send time before this instant.'),
  ...pageInput,
});
export const ListNotificationsOutput = pageOutput(NotificationView).describe('Latest send time first.');

export const NotificationStatsInput = z.strictObject({
  batchId: Id.optional(),
  since: InstantInput.optional().describe('Send time at or after this instant.'),
  until: InstantInput.optional().describe('Send time before this instant.'),
});
export const NotificationStatsOutput = z.object({
  total: z.number().int(),
  byStatus: z.record(z.enum(notificationStatuses), z.number().int()),
  byChannel: z.record(z.enum(notificationChannels), z.number().int()),
  byChannelAndStatus: z.array(z.object({ channel: Channel, status: Status, count: z.number().int() })).describe('Only the pairs that occur.'),
});
