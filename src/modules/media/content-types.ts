import { fileTypeFromBuffer } from 'file-type';
import { unsupportedMediaType } from '../../errors.js';

/** How many first bytes the type is read from: enough for every signature file-type knows. */
export const SNIFF_BYTES = 4100;

type Kind = { contentType: string; extension: string };

/**
 * The types taken, by what file-type reads in the bytes, and the type they are stored and served as.
 * Photos, scans and the voice notes phones send. WebM is taken as audio: browsers record voice notes
 * in it, and file-type cannot tell an audio-only WebM from a video one (its tracks are not read).
 */
const ACCEPTED: Readonly<Record<string, Kind>> = {
  'image/jpeg': { contentType: 'image/jpeg', extension: 'jpg' },
  'image/png': { contentType: 'image/png', extension: 'png' },
  'image/webp': { contentType: 'image/webp', extension: 'webp' },
  'image/heic': { contentType: 'image/heic', extension: 'heic' },
  'image/heic-sequence': { contentType: 'image/heic', extension: 'heic' },
  'image/heif': { contentType: 'image/heif', extension: 'heif' },
  'image/heif-sequence': { contentType: 'image/heif', extension: 'heif' },
  'application/pdf': { contentType: 'application/pdf', extension: 'pdf' },
  'audio/mpeg': { contentType: 'audio/mpeg', extension: 'mp3' },
  'audio/x-m4a': { contentType: 'audio/mp4', extension: 'm4a' },
  'audio/mp4': { contentType: 'audio/mp4', extension: 'm4a' },
  'audio/aac': { contentType: 'audio/aac', extension: 'aac' },
  'audio/ogg': { contentType: 'audio/ogg', extension: 'ogg' },
  'audio/ogg; codecs=opus': { contentType: 'audio/ogg', extension: 'opus' },
  'audio/wav': { contentType: 'audio/wav', extension: 'wav' },
  'audio/amr': { contentType: 'audio/amr', extension: 'amr' },
  'video/webm': { contentType: 'audio/webm', extension: 'webm' },
};

/** Every type a stored file may have. */
export const STORED_TYPES = [...new Set(Object.values(ACCEPTED).map((kind) => kind.contentType))] as [string, ...string[]];

const EXTENSIONS: Readonly<Record<string, string>> = Object.fromEntries(Object.values(ACCEPTED).map((kind) => [kind.contentType, kind.extension]));

/** The usual file extension of a stored type. */
export const extensionOf = (contentType: string): string => EXTENSIONS[contentType] ?? 'bin';

/**
 * The stored type of a file, read from its first bytes (never from its name or the client's header);
 * 415 naming `field` when it is not one the clinic takes.
 */
export async function acceptedType(head: Uint8Array, field: string): Promise<string> {
  const found = await fileTypeFromBuffer(head);
  const kind = found ? ACCEPTED[found.mime] : undefined;
  if (!kind) {
    const what = found ? `${found.mime} (.${found.ext})` : 'of no type recognised from its content';
    throw unsupportedMediaType(`The file is ${what}. Accepted: JPEG, PNG, WebP, HEIC/HEIF photos, PDF, and MP3, M4A, AAC, Ogg/Opus, WAV, AMR or WebM audio.`, field);
  }
  return kind.contentType;
}
