import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { Id, InstantInput, Timestamp } from '../../schema.js';
import { conversationChannels } from '../conversations/entities.js';
import { authorKinds, communicationStatuses } from './entities.js';

const Status = z.enum(communicationStatuses).describe(
  'received (inbound); queued → sending → sent → delivered → read (outbound, only forward); failed, undelivered; not_sent (opted out, no provider account); unknown (delivery interrupted mid-request: maybe sent, never resent).',
);

/** A communication as its conversation's thread shows it. */
export const MessageView = z.object({
  id: Id,
  conversationId: Id,
  direction: z.enum(['inbound', 'outbound']),
  author: z.object({ kind: z.enum(authorKinds), id: z.string().nullable() }).describe('patient, bot, staff or system.'),
  body: z.string(),
  media: z.array(z.object({ url: z.string(), contentType: z.string().nullable(), mediaId: z.uuid().optional().describe('A clinic file staff attached (see get_media).') })),
  channelMessageId: z.string().nullable().describe('The provider’s id for it (Twilio MessageSid).'),
  status: Status,
  error: z.string().nullable(),
  createdAt: Timestamp,
  sentAt: Timestamp.nullable(),
  deliveredAt: Timestamp.nullable(),
});
export type MessageView = z.infer<typeof MessageView>;

/** A communication on its own: the thread's view, with where it went and whom it is about. */
export const CommunicationView = MessageView.extend({
  channel: z.enum(conversationChannels),
  contact: z.string().describe('The other party’s address: E.164 for phone channels, an email address for email.'),
  patientId: Id.nullable().describe('The patient its conversation is linked to, if any.'),
});
export type CommunicationView = z.infer<typeof CommunicationView>;

export const CommunicationDetail = CommunicationView.extend({
  statusReports: z
    .array(z.object({ status: Status, providerStatus: z.string(), error: z.string().nullable(), reportedAt: Timestamp }))
    .describe('Every status the provider reported, once each, oldest first (kept even when it did not move the status: a late `sent` after `delivered`).'),
});

export const ListCommunicationsInput = z.strictObject({
  channel: z.enum(conversationChannels).optional(),
  direction: z.enum(['inbound', 'outbound']).optional(),
  status: z.array(z.enum(communicationStatuses)).max(10).optional().describe('Only these statuses (repeat the key or separate with commas).'),
  patientId: Id.optional().describe('Only the communications of this patient’s conversations.'),
  conversationId: Id.optional(),
  since: InstantInput.optional().describe('Written at or after this instant.'),
  until: InstantInput.optional().describe('Written before this instant.'),
  ...pageInput,
});
export const ListCommunicationsOutput = pageOutput(CommunicationView).describe('Newest first.');

export const GetCommunicationInput = z.strictObject({ id: Id.describe('The communication id.') });
