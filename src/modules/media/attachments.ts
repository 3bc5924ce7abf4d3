import type { AppContext, Services } from '../../context.js';
import { AppError } from '../../errors.js';
import { API_BASE } from '../../tools/rest.js';
import { tenantEntityManager } from '../../tools/runner.js';
import type { MediaReference } from '../communications/entities.js';
import { Media } from './entities.js';
import { signedLink } from './service.js';

const refusal = (code: 'not_found' | 'unprocessable', message: string) => new AppError(code, message, { issues: [{ path: 'mediaIds', message }] });

/**
 * The clinic's files `ids` as attachments of an outbound message: each must be a live file of the
 * clinic (404 naming `mediaIds`). The provider fetches them by link, so with media on the local disk
 * the service must know its public address, PUBLIC_BASE_URL (422 otherwise).
 */
export async function attachments(ctx: AppContext, ids: readonly string[]): Promise<MediaReference[]> {
  if (ids.length === 0) return [];
  if (ctx.services.media.storage.kind === 'local' && !ctx.services.config.publicBaseUrl) {
    throw refusal('unprocessable', 'Files are sent as links the provider fetches from this service: set PUBLIC_BASE_URL, or keep media in S3.');
  }
  const found = await ctx.em.find(Media, { id: { $in: [...ids] }, deletedAt: null });
  const missing = ids.find((id) => !found.some((media) => media.id === id));
  if (missing) throw refusal('not_found', `Media ${missing} is not a file of this clinic.`);
  return ids.map((id) => ({ url: `${API_BASE}/media/${id}/content`, contentType: found.find((media) => media.id === id)?.contentType ?? null, mediaId: id }));
}

/**
 * Fresh signed links for a message's attached files, made when it is delivered (a link made when it
 * was written could expire before a delayed delivery); null when one was deleted in between.
 */
export async function attachmentLinks(services: Services, tenantId: string, media: readonly MediaReference[]): Promise<string[] | null> {
  const ids = media.flatMap((reference) => (reference.mediaId ? [reference.mediaId] : []));
  if (ids.length === 0) return [];
  const found = await tenantEntityManager(services, tenantId).find(Media, { id: { $in: ids }, deletedAt: null });
  const files = ids.map((id) => found.find((file) => file.id === id));
  if (!files.every((file): file is Media => file !== undefined)) return null;
  return Promise.all(files.map(async (file) => (await signedLink(services, file)).url));
}
