import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

export const templateChannels = ['whatsapp', 'sms', 'email'] as const;
export type TemplateChannel = (typeof templateChannels)[number];
export const versionStatuses = ['draft', 'published'] as const;

/** A message the clinic sends, per channel and language: unique per clinic by (name, channel, locale). */
export const MessageTemplate = defineEntity({
  name: 'MessageTemplate',
  tableName: 'message_template',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    /** A slug-like key other modules ask for (`appointment-reminder`). */
    name: p.string(),
    channel: p.enum([...templateChannels]),
    /** Canonical BCP 47 tag. */
    locale: p.string(),
    description: p.text().nullable(),
  },
});
export type MessageTemplate = InferEntity<typeof MessageTemplate>;

/**
 * One version of a template's text. A published version never changes (the database refuses it);
 * a template has at most one draft, numbered after its latest version.
 */
export const MessageTemplateVersion = defineEntity({
  name: 'MessageTemplateVersion',
  tableName: 'message_template_version',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    templateId: p.uuid(),
    version: p.integer(),
    status: p.enum([...versionStatuses]),
    /** Email only. Liquid. */
    subject: p.text().nullable(),
    /** Liquid. */
    body: p.text(),
    /** WhatsApp only: the Twilio Content template (`HX…`) sent in place of the body. */
    contentSid: p.string().nullable(),
    /** WhatsApp only: Twilio's numbered placeholders ("1", "2" …) to Liquid texts. */
    contentVariables: p.json<Record<string, string>>().nullable(),
    /** The context variables the version uses, sorted; set when it is published. */
    variables: p.json<string[]>().nullable(),
    publishedAt: p.datetime().nullable(),
    publishedByKind: p.string().nullable(),
    publishedById: p.string().nullable(),
  },
});
export type MessageTemplateVersion = InferEntity<typeof MessageTemplateVersion>;
