import { z } from 'zod';
import { pageInput, pageOutput } from '../../db/pagination.js';
import { Id, Timestamp } from '../../schema.js';
import { STORED_TYPES } from './content-types.js';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/).describe('The SHA-256 of the bytes, lower-case hex.');

export const MediaView = z.object({
  id: Id,
  contentType: z.string().describe('Read from the bytes at upload, not from the file name.'),
  sizeBytes: z.number().int(),
  sha256: Sha256,
  originalName: z.string().nullable().describe('The name the file was sent with, cleaned: display text only.'),
  uploadedBy: z.object({ kind: z.string(), id: z.string() }),
  patientId: Id.nullable(),
  conversationId: Id.nullable(),
  messageId: Id.nullable(),
  ticketId: Id.nullable(),
  createdAt: Timestamp,
});
export type MediaView = z.infer<typeof MediaView>;

export const MediaWithLink = MediaView.extend({
  download: z.object({
    url: z.string().describe('Fetch the file here without a key until `expiresAt`. A path when PUBLIC_BASE_URL is not set.'),
    expiresAt: Timestamp,
  }),
});

const Links = {
  patientId: Id.optional().describe('The patient it belongs to.'),
  conversationId: Id.optional().describe('The conversation it belongs to.'),
  ticketId: Id.optional().describe('The ticket it belongs to.'),
};

/**
 * What the upload route proves it stored: the hash, size and type it measured, signed by the service
 * (src/modules/media/receipts.ts). Only the upload route makes one.
 */
export const UploadReceipt = z.strictObject({
  sha256: Sha256,
  sizeBytes: z.number().int().min(1),
  contentType: z.enum(STORED_TYPES),
  signature: z.string().max(100),
});
export type UploadReceipt = z.infer<typeof UploadReceipt>;

export const RecordUploadInput = z.strictObject({
  receipt: UploadReceipt.describe('Made by POST /media (multipart) only; there is no other way to get one.'),
  originalName: z.string().max(255).nullable().describe('The cleaned file name.'),
  ...Links,
});

export const MediaIdInput = z.strictObject({ id: Id.describe('The media id.') });

export const ListMediaInput = z.strictObject({
  patientId: Id.optional().describe('Only media of this patient.'),
  conversationId: Id.optional().describe('Only media of this conversation.'),
  ticketId: Id.optional().describe('Only media of this ticket.'),
  messageId: Id.optional().describe('Only media of this message.'),
  ...pageInput,
});
export const ListMediaOutput = pageOutput(MediaView);

const Relink = (what: string) => Id.nullable().optional().describe(`The ${what} it belongs to; null removes the link.`);

export const LinkMediaInput = z.strictObject({
  id: Id.describe('The media id.'),
  patientId: Relink('patient'),
  conversationId: Relink('conversation'),
  ticketId: Relink('ticket'),
});
