import { AppError } from '../../errors.js';
import type { SigningKey } from './signing.js';

/** The route local-disk download links point at; served without an API key (see routes.ts). */
export const FILE_LINK_PATH = '/media/files';

const parts = (mediaId: string, expires: number) => ['media-file', mediaId, String(expires)];

/** `/media/files/{id}?expires=<unix seconds>&signature=<HMAC>`, under PUBLIC_BASE_URL when it is set. */
export async function fileLink(signingKey: SigningKey, options: { mediaId: string; expiresAt: Date; baseUrl: string | undefined }): Promise<string> {
  const expires = Math.floor(options.expiresAt.getTime() / 1000);
  const signature = await signingKey.sign(parts(options.mediaId, expires));
  const base = (options.baseUrl ?? '').replace(/\/+$/, '');
  return `${base}${FILE_LINK_PATH}/${options.mediaId}?expires=${expires}&signature=${signature}`;
}

/** Throws 403 unless the link's signature is ours and it has not expired. */
export async function checkFileLink(signingKey: SigningKey, link: { mediaId: string; expires: string | undefined; signature: string | undefined; now: Date }): Promise<void> {
  const expires = Number(link.expires);
  if (!link.expires || !/^\d{1,12}$/.test(link.expires) || link.signature === undefined || !(await signingKey.verify(parts(link.mediaId, expires), link.signature))) {
    throw linkRefused('This download link is not valid.', link.signature === undefined || /^\d{1,12}$/.test(link.expires ?? '') ? 'signature' : 'expires');
  }
  if (expires * 1000 <= link.now.getTime()) throw linkRefused('This download link has expired; ask for a new one (get_media).', 'expires');
}

const linkRefused = (message: string, field: string) => new AppError('forbidden', message, { issues: [{ path: field, message }] });
