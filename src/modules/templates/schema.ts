import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { Id, Timestamp } from '../../schema.js';
import { templateChannels, versionStatuses, type TemplateChannel } from './entities.js';
import { Locale } from './locale.js';
import { ValueName } from './variables.js';

/** The most a body may hold, per channel: Twilio's SMS body limit, WhatsApp's template body limit, a generous email. */
export const bodyLimits: Record<TemplateChannel, number> = { sms: 1_600, whatsapp: 1_024, email: 100_000 };
const SUBJECT_LIMIT = 500;

const Channel = z.enum(templateChannels).describe('whatsapp, sms or email.');
const TemplateName = z
  .string()
  .regex(/^[a-z0-9]+(?:[-_][a-z0-9]+)*$/, 'lowercase letters and digits, words joined by - or _ (appointment-reminder)')
  .max(100)
  .describe('The key other modules ask for: lowercase words joined by - or _, for example appointment-reminder.');
const notBlank = (text: string) => text.trim() !== '';
const Body = z
  .string()
  .max(bodyLimits.email)
  .refine(notBlank, 'must not be blank')
  .describe('The message, in Liquid: {{ patient.givenName }}, filters such as {{ clinic.name | upcase }}. At most 1,600 characters for SMS, 1,024 for WhatsApp, 100,000 for email.');
const Subject = z.string().max(SUBJECT_LIMIT).refine(notBlank, 'must not be blank').describe('Email only, and required there: the subject line, in Liquid.');
const ContentSid = z
  .string()
  .regex(/^HX[0-9a-fA-F]{32}$/, 'a Twilio Content SID: HX and 32 hexadecimal digits')
  .overwrite((sid) => `HX${sid.slice(2).toLowerCase()}`)
  .describe('WhatsApp only: the SID of the approved Twilio Content template (HX…), needed to publish.');
const ContentVariables = z
  .record(z.string().regex(/^[1-9]\d?$/, 'a Twilio placeholder number, "1" to "99"'), z.string().max(1_000).refine(notBlank, 'must not be blank'))
  .refine((variables) => Object.keys(variables).length <= 99, 'at most 99 placeholders')
  .describe('WhatsApp only: Twilio’s numbered placeholders to Liquid texts, for example {"1": "{{ patient.givenName }}", "2": "{{ appointment.time }}"}.');

/** The fields only one channel has: a mistake on another, refused by name. */
export function channelFieldIssues(
  channel: TemplateChannel,
  fields: { body?: string; subject?: string | null; contentSid?: string | null; contentVariables?: Record<string, string> | null },
): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (fields.body !== undefined && fields.body.length > bodyLimits[channel]) {
    issues.push({ path: 'body', message: `at most ${bodyLimits[channel]} characters on ${channel} (this one has ${fields.body.length})` });
  }
  if (channel !== 'email' && fields.subject != null) issues.push({ path: 'subject', message: 'only email templates have a subject' });
  if (channel !== 'whatsapp' && fields.contentSid != null) issues.push({ path: 'contentSid', message: 'only WhatsApp templates have a Content SID' });
  if (channel !== 'whatsapp' && fields.contentVariables != null) issues.push({ path: 'contentVariables', message: 'only WhatsApp templates have content variables' });
  return issues;
}

export const TemplateVersionView = z.object({
  id: Id,
  templateId: Id,
  version: z.number().int().describe('1, 2, … per template.'),
  status: z.enum(versionStatuses).describe('draft (editable) or published (never changes).'),
  subject: z.string().nullable(),
  body: z.string(),
  contentSid: z.string().nullable(),
  contentVariables: z.record(z.string(), z.string()).nullable(),
  variables: z.array(z.string()).nullable().describe('The context variables the version uses; listed when it is published.'),
  publishedAt: Timestamp.nullable(),
  publishedBy: z.object({ kind: z.string(), id: z.string() }).nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type TemplateVersionView = z.infer<typeof TemplateVersionView>;

export const TemplateView = z.object({
  id: Id,
  name: z.string(),
  channel: Channel,
  locale: z.string(),
  description: z.string().nullable(),
  publishedVersion: z.number().int().nullable().describe('The latest published version, which is what is sent; null before the first publish.'),
  draftVersion: z.number().int().nullable().describe('The draft’s version number; null when there is none.'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type TemplateView = z.infer<typeof TemplateView>;

export const TemplateWithVersions = TemplateView.extend({ versions: z.array(TemplateVersionView).describe('Newest first.') });

export const CreateTemplateInput = z
  .strictObject({
    name: TemplateName,
    channel: Channel,
    locale: Locale,
    description: z.string().trim().max(1_000).optional().describe('What the template is for, for staff.'),
    body: Body,
    subject: Subject.optional(),
    contentSid: ContentSid.optional(),
    contentVariables: ContentVariables.optional(),
  })
  .superRefine((input, context) => {
    for (const issue of channelFieldIssues(input.channel, input)) context.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
    if (input.channel === 'email' && input.subject === undefined) context.addIssue({ code: 'custom', path: ['subject'], message: 'an email template needs a subject' });
  });

export const GetTemplateInput = z.strictObject({ id: Id.describe('The template id.') });

export const ListTemplatesInput = z.strictObject({
  channel: Channel.optional().describe('Only this channel.'),
  locale: Locale.optional().describe('Only this locale (exactly; no fallback).'),
  name: TemplateName.optional().describe('Only templates with this name (one per channel and locale).'),
  ...pageInput,
});
export const ListTemplatesOutput = pageOutput(TemplateView);

export const UpdateTemplateDraftInput = z.strictObject({
  id: Id.describe('The template id.'),
  body: Body.optional(),
  subject: Subject.optional(),
  contentSid: ContentSid.nullable().optional().describe('WhatsApp only: the approved Twilio Content template SID (HX…); null clears it.'),
  contentVariables: ContentVariables.nullable().optional().describe('WhatsApp only: the placeholders, replaced whole; null clears them.'),
});

export const PublishTemplateInput = z.strictObject({
  id: Id.describe('The template id.'),
  version: z.number().int().min(1).max(1_000_000).optional().describe('Optional guard: the draft’s version number you reviewed; a different draft is a conflict.'),
});

const TemplateValues = z
  .record(ValueName, z.string().max(2_000))
  .refine((values) => Object.keys(values).length <= 50, 'at most 50 values')
  .describe('Your own values for the template’s values.<name> variables, for example {"code": "4711"}.');

export const RenderTemplateInput = z.strictObject({
  name: TemplateName,
  channel: Channel,
  locale: Locale.optional().describe('The language wanted; falls back to its parent (es-MX → es), then the clinic’s default. Omitted: the patient’s preferred language, then the clinic’s default.'),
  version: z.number().int().min(1).max(1_000_000).optional().describe('A version number to render; omitted: the latest published. A preview may name the draft.'),
  patientId: Id.optional().describe('The patient the message is for (patient.* variables); taken from the appointment when omitted.'),
  appointmentId: Id.optional().describe('The appointment it is about (appointment.* variables); it must be the patient’s.'),
  values: TemplateValues.optional(),
});
export type RenderTemplateInput = z.input<typeof RenderTemplateInput>;

export const RenderedMessage = z.object({
  templateId: Id,
  versionId: Id,
  version: z.number().int(),
  name: z.string(),
  channel: Channel,
  locale: z.string().describe('The locale of the template used, after fallback.'),
  subject: z.string().optional().describe('Email: the rendered subject, on one line.'),
  body: z.string(),
  contentSid: z.string().optional().describe('WhatsApp: the Twilio Content template to send.'),
  contentVariables: z.record(z.string(), z.string()).optional().describe('WhatsApp: Twilio’s ContentVariables, rendered ({"1": "Maria"}).'),
});
export type RenderedMessage = z.infer<typeof RenderedMessage>;
