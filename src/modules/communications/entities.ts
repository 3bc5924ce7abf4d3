import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

/**
 * Where a communication stands. Inbound ones are `received`. Outbound ones move only forward:
 * `queued → sending → sent → delivered → read`, and `failed`, `undelivered`, `not_sent` (never
 * handed to a provider: opted out, no account) are final, like `read`. `unknown`: the delivery was
 * interrupted mid-request, so it may or may not have left; it is never sent again, and a provider's
 * later report still moves it on.
 */
export const communicationStatuses = ['received', 'queued', 'sending', 'unknown', 'sent', 'delivered', 'read', 'failed', 'undelivered', 'not_sent'] as const;
export type CommunicationStatus = (typeof communicationStatuses)[number];
export const authorKinds = ['patient', 'bot', 'staff', 'system'] as const;

/**
 * A file of a message: an inbound one's provider URL, or a clinic file staff attached (`mediaId`; its
 * `url` is the keyed download route, and delivery sends the provider a fresh signed link instead).
 */
export type MediaReference = { url: string; contentType: string | null; mediaId?: string };

/**
 * One message in or out of the clinic, on any channel, whoever started it: a patient, the agent, staff,
 * the clinic itself. It belongs to the conversation (thread) of its channel and contact.
 */
export const Communication = defineEntity({
  name: 'Communication',
  tableName: 'communication',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    conversationId: p.uuid(),
    direction: p.enum(['inbound', 'outbound']),
    authorKind: p.enum([...authorKinds]),
    authorId: p.string().nullable(),
    /** Email only: the subject line (other channels have none). */
    subject: p.text().nullable(),
    /**
     * WhatsApp only: the approved Twilio Content template sent instead of free text (needed to write
     * first outside the 24-hour session), with its placeholders' values; `body` is its text as shown.
     */
    contentSid: p.string().nullable(),
    contentVariables: p.json<Record<string, string>>().nullable(),
    body: p.text(),
    media: p.json<MediaReference[]>(),
    /** The provider's id (Twilio's MessageSid): a redelivered inbound message is stored once. */
    channelMessageId: p.string().nullable(),
    status: p.enum([...communicationStatuses]),
    error: p.text().nullable(),
    sentAt: p.datetime().nullable(),
    deliveredAt: p.datetime().nullable(),
  },
});
export type Communication = InferEntity<typeof Communication>;

/**
 * Every status a provider reported for a communication, once per status, append-only: the current
 * status on the communication only moves forward, this keeps what was said and when (a late `sent`
 * after `delivered` is kept here, not applied there).
 */
export const CommunicationStatusReport = defineEntity({
  name: 'CommunicationStatusReport',
  tableName: 'communication_status',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    communicationId: p.uuid(),
    /** Ours (`delivered`); `providerStatus` is the provider's own word for it (`delivered`, `accepted`…). */
    status: p.enum([...communicationStatuses]),
    providerStatus: p.string(),
    error: p.text().nullable(),
    reportedAt: p.datetime(),
  },
});
export type CommunicationStatusReport = InferEntity<typeof CommunicationStatusReport>;
