import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { tenantFilter, tenantOwnedProperties } from '../../db/base.js';

/**
 * One uploaded file as the clinic sees it: who sent it, what it is, what it belongs to. The bytes are
 * stored once per clinic and hash (see storage.ts: the key is the tenant and the SHA-256); the same
 * file uploaded twice is two of these rows over one stored object. Deleting is soft: the row stays for
 * the record, and the purge job removes the object once no live row uses it.
 */
export const Media = defineEntity({
  name: 'Media',
  tableName: 'media',
  filters: tenantFilter,
  properties: {
    ...tenantOwnedProperties(),
    sha256: p.string(),
    sizeBytes: p.integer(),
    /** Sniffed from the bytes, never taken from the client. */
    contentType: p.string(),
    /** The client's file name, cleaned: display text only, never part of a path or a key. */
    originalName: p.text().nullable(),
    uploadedByKind: p.string(),
    uploadedById: p.string(),
    patientId: p.uuid().nullable(),
    conversationId: p.uuid().nullable(),
    /** The message it came with (an inbound MMS or WhatsApp photo) or was sent with. */
    messageId: p.uuid().nullable(),
    ticketId: p.uuid().nullable(),
    /** Where the service fetched it from: Twilio's media URL of an inbound message; null for uploads. */
    sourceUrl: p.text().nullable(),
    deletedAt: p.datetime().nullable(),
  },
});
export type Media = InferEntity<typeof Media>;
