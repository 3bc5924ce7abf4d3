import type { z } from 'zod';
import type { AppContext, Services } from '../../context.js';
import { after, decodeCursor, page } from '../../db/pagination.js';
import { lockUntilCommit } from '../../db/locks.js';
import { AppError, conflict, invalid, notFound } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { enqueueJob } from '../../jobs/enqueue.js';
import { newId } from '../../ids.js';
import { toIso } from '../../schema.js';
import { requireConversation } from '../conversations/lookup.js';
import { requireActivePatient } from '../patients/lookup.js';
import { requireTicket } from '../tickets/service.js';
import { Media } from './entities.js';
import { MEDIA_PURGE_JOB, objectLock } from './purge.js';
import { downloadName } from './names.js';
import { checkReceipt } from './receipts.js';
import type { LinkMediaInput, ListMediaInput, MediaView, RecordUploadInput } from './schema.js';
import { objectKey } from './storage.js';

export const mediaView = (media: Media): MediaView => ({
  id: media.id,
  contentType: media.contentType,
  sizeBytes: media.sizeBytes,
  sha256: media.sha256,
  originalName: media.originalName ?? null,
  uploadedBy: { kind: media.uploadedByKind, id: media.uploadedById },
  patientId: media.patientId ?? null,
  conversationId: media.conversationId ?? null,
  messageId: media.messageId ?? null,
  ticketId: media.ticketId ?? null,
  createdAt: toIso(media.createdAt),
});

/** The clinic's live (not deleted) media with this id, or 404. */
export async function requireMedia(ctx: AppContext, id: string): Promise<Media> {
  const media = await ctx.em.findOne(Media, { id, deletedAt: null });
  if (!media) throw notFound('Media', id);
  return media;
}

type Links = { patientId?: string | null; conversationId?: string | null; ticketId?: string | null };

/** The same refusal, naming the input field it came from. */
const naming = (field: string) => (error: unknown) => {
  if (!(error instanceof AppError)) throw error;
  throw new AppError(error.code, error.message, { issues: [{ path: field, message: error.message }], details: error.details });
};

/** Each linked record must exist in this clinic (an active patient): 404 or 422 naming the field otherwise. */
async function checkLinks(ctx: AppContext, links: Links): Promise<void> {
  if (links.patientId) await requireActivePatient(ctx, links.patientId).catch(naming('patientId'));
  if (links.conversationId) await requireConversation(ctx, links.conversationId).catch(naming('conversationId'));
  if (links.ticketId) await requireTicket(ctx, links.ticketId).catch(naming('ticketId'));
}

/**
 * Records a file the upload route stored (its receipt proves hash, size and type). Under the object's
 * lock, so a purge of the same object runs wholly before or after: if one ran between the store and
 * this, the object is gone and the route stores it again (409 `object_missing`).
 */
export async function recordUpload(ctx: AppContext, input: z.output<typeof RecordUploadInput>): Promise<MediaView> {
  const { receipt } = input;
  await checkReceipt(ctx.services.media.signingKey, ctx.tenant.id, receipt);
  await checkLinks(ctx, input);
  if (!(await lockStoredObject(ctx, receipt.sha256))) {
    throw conflict('The stored file was purged while it was being recorded; send the upload again.', { reason: 'object_missing' });
  }
  const media = addMedia(ctx, {
    sha256: receipt.sha256,
    sizeBytes: receipt.sizeBytes,
    contentType: receipt.contentType,
    originalName: input.originalName,
    patientId: input.patientId ?? null,
    conversationId: input.conversationId ?? null,
    messageId: null,
    ticketId: input.ticketId ?? null,
    sourceUrl: null,
  });
  return mediaView(media);
}

/**
 * Takes the lock of the clinic's object of `sha256` until the unit of work commits, and tells whether
 * it is stored: a purge of it then runs wholly before (and it is gone) or after (and sees the new record).
 */
export async function lockStoredObject(ctx: AppContext, sha256: string): Promise<boolean> {
  await lockUntilCommit(ctx.em, objectLock(ctx.tenant.id, sha256));
  return ctx.services.media.storage.exists(objectKey(ctx.tenant.id, sha256));
}

type NewMedia = Pick<Media, 'sha256' | 'sizeBytes' | 'contentType' | 'originalName' | 'patientId' | 'conversationId' | 'messageId' | 'ticketId' | 'sourceUrl'>;

/** Adds a media row by the caller and its `media.uploaded` event to the unit of work (the object is already stored). */
export function addMedia(ctx: AppContext, fields: NewMedia): Media {
  const now = ctx.clock.now();
  const media = ctx.em.create(Media, {
    id: newId(),
    tenantId: ctx.tenant.id,
    ...fields,
    uploadedByKind: ctx.actor.kind,
    uploadedById: ctx.actor.id,
    deletedAt: null,
    createdAt: now,
    updatedAt: now,
  });
  recordEvent(ctx, { type: 'media.uploaded', entityType: 'media', entityId: media.id, payload: linkIds(media) });
  return media;
}

const linkIds = (media: Media) => ({ patientId: media.patientId ?? null, conversationId: media.conversationId ?? null, messageId: media.messageId ?? null, ticketId: media.ticketId ?? null });

/** A fresh signed download link of a clinic's file, valid for PRM_MEDIA_URL_SECONDS. */
export async function signedLink(services: Services, media: Media): Promise<{ url: string; expiresAt: Date }> {
  const expiresAt = new Date(services.clock.now().getTime() + services.config.media.urlSeconds * 1000);
  const url = await services.media.storage.signedUrl({
    key: objectKey(media.tenantId, media.sha256),
    mediaId: media.id,
    contentType: media.contentType,
    fileName: downloadName({ id: media.id, originalName: media.originalName ?? null, contentType: media.contentType }),
    expiresAt,
  });
  return { url, expiresAt };
}

/** A media record with a fresh signed download link. */
export async function getMedia(ctx: AppContext, id: string) {
  const media = await requireMedia(ctx, id);
  const { url, expiresAt } = await signedLink(ctx.services, media);
  return { ...mediaView(media), download: { url, expiresAt: toIso(expiresAt) } };
}

/** Live media, newest first, filtered by what they belong to; keyset-paginated. */
export async function listMedia(ctx: AppContext, input: z.output<typeof ListMediaInput>) {
  const rows = await ctx.em.find(
    Media,
    {
      deletedAt: null,
      ...(input.patientId ? { patientId: input.patientId } : {}),
      ...(input.conversationId ? { conversationId: input.conversationId } : {}),
      ...(input.ticketId ? { ticketId: input.ticketId } : {}),
      ...(input.messageId ? { messageId: input.messageId } : {}),
      ...after('createdAt', decodeCursor(input.cursor)),
    },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  return page(rows, input.limit, (media) => ({ at: media.createdAt, id: media.id }), mediaView);
}

/** Sets or removes (null) what a media record belongs to; only the fields given change. */
export async function linkMedia(ctx: AppContext, input: z.output<typeof LinkMediaInput>): Promise<MediaView> {
  const { id, ...links } = input;
  if (Object.values(links).every((value) => value === undefined)) {
    throw invalid('Give at least one of patientId, conversationId, ticketId (null removes a link).', [{ path: '(input)', message: 'no changes' }]);
  }
  const media = await requireMedia(ctx, id);
  await checkLinks(ctx, links);
  if (links.patientId !== undefined) media.patientId = links.patientId;
  if (links.conversationId !== undefined) media.conversationId = links.conversationId;
  if (links.ticketId !== undefined) media.ticketId = links.ticketId;
  media.updatedAt = ctx.clock.now();
  return mediaView(media);
}

/** Soft-deletes a media record and enqueues the purge of its object, which stays while another live record uses it. */
export async function deleteMedia(ctx: AppContext, id: string): Promise<MediaView> {
  const media = await requireMedia(ctx, id);
  media.deletedAt = ctx.clock.now();
  media.updatedAt = media.deletedAt;
  recordEvent(ctx, { type: 'media.deleted', entityType: 'media', entityId: media.id, payload: linkIds(media) });
  enqueueJob(ctx.em, { tenantId: ctx.tenant.id, kind: MEDIA_PURGE_JOB, payload: { sha256: media.sha256 }, serialKey: objectLock(ctx.tenant.id, media.sha256) });
  return mediaView(media);
}
