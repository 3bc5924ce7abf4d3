import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { DateOnly, Id, Timestamp } from '../../schema.js';
import { MessageView } from '../communications/schema.js';
import { Locale } from '../templates/locale.js';
import { conversationChannels } from './entities.js';

const ConversationId = Id.describe('The conversation id.');

export const ConversationView = z.object({
  id: Id,
  channel: z.enum(conversationChannels),
  contact: z.string().describe('The patient’s address: E.164 phone number for phone channels.'),
  clinicAddress: z.string().nullable(),
  patientId: Id.nullable().describe('The verified patient, when linked.'),
  verified: z.boolean().describe('Whether the identity check is still valid.'),
  verifiedUntil: Timestamp.nullable(),
  status: z.enum(['open', 'closed']),
  handledBy: z.enum(['bot', 'staff']).describe('staff: the bot is silent until handed back.'),
  handoffTicketId: Id.nullable(),
  optedOut: z.boolean().describe('The patient sent STOP: nothing is sent until START.'),
  lastMessageAt: Timestamp.nullable(),
  closedAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type ConversationView = z.infer<typeof ConversationView>;

export const ListConversationsInput = z.strictObject({
  channel: z.enum(conversationChannels).optional().describe('Only this channel.'),
  status: z.enum(['open', 'closed']).optional().describe('Only open or only closed conversations.'),
  handledBy: z.enum(['bot', 'staff']).optional().describe('staff: the ones waiting for a person.'),
  patientId: Id.optional().describe('Only this patient’s conversations.'),
  contact: z.string().trim().min(3).max(64).optional().describe('Only this contact (E.164 phone number).'),
  ...pageInput,
});
export const ListConversationsOutput = pageOutput(ConversationView);

export const ConversationInput = z.strictObject({ id: ConversationId });

export const ListMessagesInput = z.strictObject({ id: ConversationId, ...pageInput });
export const ListMessagesOutput = pageOutput(MessageView).describe('Newest first.');

export const SendStaffMessageInput = z.strictObject({
  id: ConversationId,
  body: z.string().trim().min(1).max(1600).describe('The message to the patient, delivered over the conversation’s channel.'),
  mediaIds: z.array(z.uuid()).min(1).max(10).optional().describe('Clinic files to send with it (WhatsApp, SMS as MMS): ids from POST /media or list_media.'),
});

export const LinkPatientInput = z.strictObject({
  id: ConversationId,
  patientId: Id.describe('The patient staff have identified on this conversation.'),
});

export const AgentTurnView = z.object({
  id: Id,
  inboundMessageId: Id.nullable(),
  mode: z.enum(['model', 'guided']),
  model: z.string().nullable(),
  outcome: z.string(),
  fallbackReason: z.string().nullable(),
  steps: z.array(z.unknown()),
  replyMessageId: Id.nullable(),
  durationMs: z.number(),
  startedAt: Timestamp,
});
export const ListAgentTurnsInput = z.strictObject({ id: ConversationId, ...pageInput });
export const ListAgentTurnsOutput = pageOutput(AgentTurnView);

/** Operations the agent calls about its own conversation: the runner fills in `conversationId`. */
const BoundConversationId = Id.describe('The conversation; filled in by the runner for the agent.');

export const VerifyIdentityInput = z.strictObject({
  conversationId: BoundConversationId,
  dateOfBirth: DateOnly.describe('The date of birth the patient gave, YYYY-MM-DD.'),
  familyName: z.string().trim().min(1).max(100).optional().describe('The patient’s family name, when asked for it to tell records apart.'),
});
export const VerifyIdentityOutput = z.object({
  verified: z.boolean(),
  outcome: z
    .enum(['verified', 'needs_family_name', 'mismatch', 'locked'])
    .describe('verified; needs_family_name: ask for it and call again; mismatch: the details do not match; locked: too many attempts.'),
  givenName: z.string().nullable().describe('The verified patient’s first name, to greet them.'),
  message: z.string().describe('What to tell the patient.'),
});

export const RegisterPatientInput = z.strictObject({
  conversationId: BoundConversationId,
  givenName: z.string().trim().min(1).max(100).describe('First name.'),
  familyName: z.string().trim().min(1).max(100).describe('Family name.'),
  dateOfBirth: DateOnly.describe('Date of birth, YYYY-MM-DD.'),
});
/** The same whether or not someone like the person was on file: it must not tell a stranger. */
export const RegisterPatientOutput = z.object({
  nextStep: z
    .enum(['verify_identity', 'none'])
    .describe('verify_identity: ask the patient to confirm their date of birth, then call verify_identity; none: the conversation is already verified.'),
  message: z.string().describe('What to tell the patient.'),
});

export const HandoffInput = z.strictObject({
  conversationId: BoundConversationId,
  reason: z.string().trim().min(1).max(500).describe('Why a person is needed, in a sentence.'),
  summary: z.string().trim().max(2000).optional().describe('What the patient wants and what was done so far, for staff.'),
  urgent: z.boolean().default(false).describe('true when it cannot wait for the next working hours.'),
});
export const HandoffOutput = z.object({
  ticketId: Id,
  message: z.string().describe('What to tell the patient about what happens next.'),
});

export const ClinicInfoInput = z.strictObject({});
export const ClinicInfoOutput = z.object({
  name: z.string(),
  timeZone: z.string(),
  locale: z.string().describe('The language the clinic writes to patients in by default (BCP 47); message templates fall back to it.'),
  localTime: z.string().describe('Now, in the clinic’s time zone.'),
  address: z.string().nullable(),
  phone: z.string().nullable(),
  hours: z.string().nullable(),
  policies: z.string().nullable(),
  verification: z.enum(['date_of_birth', 'date_of_birth_and_family_name']).describe('How patients prove who they are.'),
  quietHours: z
    .object({ start: z.string(), end: z.string() })
    .nullable()
    .describe('When the clinic sends no notifications (wall-clock HH:MM in its time zone; crossing midnight when end is earlier); null: none.'),
  sendRatePerSecond: z.number().nullable().describe('The most notifications the clinic sends per second; null: no limit.'),
  reminders: z
    .object({ offsets: z.array(z.object({ hoursBefore: z.number(), template: z.string() })), channels: z.array(z.string()) })
    .nullable()
    .describe('Appointment reminders: when before an appointment, from which template, on which channels; null: none.'),
});

const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day, HH:MM from 00:00 to 23:59');
/** The clinic's quiet hours for notifications (stored in its profile). */
export const QuietHoursSetting = z
  .strictObject({
    start: ClockTime.describe('When the quiet hours begin, clinic time (22:00).'),
    end: ClockTime.describe('When they end, clinic time (07:00); earlier than start: they cross midnight.'),
  })
  .refine((window) => window.start !== window.end, { message: 'start and end must differ', path: ['end'] });
/** The clinic's send rate for notifications (stored in its profile). */
export const SendRateSetting = z.number().positive().max(1000);

const TemplateName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'a template name: lowercase letters, digits and dashes');
/** The clinic's appointment reminders (stored in its profile). */
export const ReminderSetting = z.strictObject({
  offsets: z
    .array(
      z.strictObject({
        hoursBefore: z.number().min(0.25).max(24 * 30).describe('How long before the appointment it is sent, in hours (24, 2, 0.5).'),
        template: TemplateName.describe('The template it is written from (its name; the variant of the channel and the patient’s language is used).'),
      }),
    )
    .min(1)
    .max(5)
    .refine((offsets) => new Set(offsets.map((offset) => offset.hoursBefore)).size === offsets.length, { message: 'two reminders at the same time' }),
  channels: z
    .array(z.enum(['whatsapp', 'sms', 'email']))
    .min(1)
    .max(3)
    .refine((channels) => new Set(channels).size === channels.length, { message: 'a channel named twice' })
    .describe('In order of preference; the patient’s own preferred channel comes first when it is one of them and they have an address for it.'),
});
export type ReminderSetting = z.infer<typeof ReminderSetting>;

export const UpdateClinicProfileInput = z.strictObject({
  name: z.string().trim().min(1).max(200).optional().describe('The clinic’s name, as patients see it.'),
  address: z.string().trim().max(500).nullable().optional().describe('Street address; null clears it.'),
  phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +12125550100').nullable().optional().describe('The number patients call; voice handoffs dial it.'),
  hours: z.string().trim().max(500).nullable().optional().describe('Opening hours, as the agent tells them.'),
  policies: z.string().trim().max(2000).nullable().optional().describe('Policies the agent may quote (cancellations, what to bring).'),
  locale: Locale.nullable()
    .optional()
    .describe('The language the clinic writes to patients in by default, a BCP 47 tag (en, es, es-MX): message templates fall back to it. null: English.'),
  verification: z
    .enum(['date_of_birth', 'date_of_birth_and_family_name'])
    .optional()
    .describe('How a conversation proves who it is before any health information.'),
  quietHours: QuietHoursSetting.nullable()
    .optional()
    .describe('Notifications due while these hold wait until they end (never dropped, never sent early). null: none.'),
  reminders: ReminderSetting.nullable()
    .optional()
    .describe('Appointment reminders, made when an appointment is booked, moved when it moves, cancelled when it is cancelled. null: none.'),
  sendRatePerSecond: SendRateSetting.nullable()
    .optional()
    .describe('The most notifications the clinic sends per second, all processes together (Twilio’s throughput for the number, for example 1 for a US long code). null: no limit.'),
});
