import { extensionOf } from './content-types.js';

const MAX_NAME = 255;
/** Control characters (NUL included), and lone surrogates, which PostgreSQL cannot store. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The client's file name as display text: its last path segment (`../../etc/passwd` is `passwd`),
 * without control characters, at most 255 characters; null when nothing is left. It never becomes
 * part of a path or a key: objects are stored by hash.
 */
export function cleanName(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const lastSegment = raw.replace(UNPRINTABLE, '').split(/[/\\]/).pop() ?? '';
  const name = [...lastSegment.trim()].slice(0, MAX_NAME).join('');
  return name === '' || name === '.' || name === '..' ? null : name;
}

/** The name a download is saved under: the display name's stem (100 characters at most) with the extension of the type the bytes really are. */
export function downloadName(media: { id: string; originalName: string | null; contentType: string }): string {
  const stem = [...(media.originalName?.replace(/\.[^.]*$/, '') ?? '')].slice(0, 100).join('').trim() || `media-${media.id}`;
  return `${stem}.${extensionOf(media.contentType)}`;
}

/**
 * `attachment` with an ASCII fallback name (anything outside letters, digits, `.-_ ` becomes `_`) and
 * the full name in RFC 8187 form: no quote, backslash or line break can reach the header.
 */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._ -]/g, '_') || 'download';
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
