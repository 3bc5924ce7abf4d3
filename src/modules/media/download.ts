import type { Services } from '../../context.js';
import { notFound } from '../../errors.js';
import { Id } from '../../schema.js';
import { Media } from './entities.js';
import { checkFileLink } from './file-links.js';
import { contentDisposition, downloadName } from './names.js';
import type { MediaView } from './schema.js';
import { objectKey } from './storage.js';

/** A file's bytes as they are served, with the headers that keep a browser from reading them as anything else. */
export type Download = { body: ReadableStream<Uint8Array>; headers: Record<string, string> };

/** The stored bytes of a live record of the clinic `tenantId`, with its download headers; 404 if the object is missing. */
export async function openMediaFile(services: Services, tenantId: string, media: Pick<MediaView, 'id' | 'sha256' | 'contentType' | 'sizeBytes' | 'originalName'>): Promise<Download> {
  const body = await services.media.storage.get(objectKey(tenantId, media.sha256));
  if (!body) {
    services.log.error({ mediaId: media.id, tenantId }, 'a live media record has no stored object');
    throw notFound('Media file', media.id);
  }
  return {
    body,
    headers: {
      'content-type': media.contentType,
      'content-length': String(media.sizeBytes),
      'content-disposition': contentDisposition(downloadName(media)),
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
    },
  };
}

/** `GET /media/files/{id}?expires&signature`: the file, for whoever holds a current signed link (403 otherwise). */
export async function downloadWithLink(services: Services, link: { id: string; expires: string | undefined; signature: string | undefined }): Promise<Download> {
  await checkFileLink(services.media.signingKey, { mediaId: link.id, expires: link.expires, signature: link.signature, now: services.clock.now() });
  // A signed id is one of ours; the check stays so nothing else ever reaches the query.
  if (!Id.safeParse(link.id).success) throw notFound('Media', link.id);
  const media = await services.orm.em.fork().findOne(Media, { id: link.id, deletedAt: null }, { filters: false });
  if (!media) throw notFound('Media', link.id);
  return openMediaFile(services, media.tenantId, { ...media, originalName: media.originalName ?? null });
}
