import { join } from 'node:path';
import type { Config } from '../../config.js';
import { LocalStorage } from './local-storage.js';
import { S3Storage } from './s3-storage.js';
import { SigningKey } from './signing.js';

/** How a download link is made: for the object at `key`, served as `contentType` under `fileName`. */
export type LinkRequest = { key: string; mediaId: string; contentType: string; fileName: string; expiresAt: Date };

/** Where the bytes of media live. Every key comes from `objectKey`, never from a client. */
export interface MediaStorage {
  readonly kind: 'local' | 's3';
  /** Stores the finished file at `path` under `key`; the same key again holds the same bytes (the key is their hash). */
  put(key: string, file: { path: string; sizeBytes: number; contentType: string }): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** The bytes, or null when nothing is stored under `key`. */
  get(key: string): Promise<ReadableStream<Uint8Array> | null>;
  /** Removes the object; nothing stored is no error. */
  delete(key: string): Promise<void>;
  /** A link anyone holding it may download with until `expiresAt`. */
  signedUrl(link: LinkRequest): Promise<string>;
}

/** Process-wide media services: the storage driver and the key links and upload receipts are signed with. */
export type MediaServices = { storage: MediaStorage; signingKey: SigningKey; incomingDir: string };

const TENANT = /^[0-9a-f-]{36}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** The object key of a clinic's file: its tenant and its SHA-256, nothing a client wrote. */
export function objectKey(tenantId: string, sha256: string): string {
  if (!TENANT.test(tenantId) || !SHA256.test(sha256)) throw new Error('objectKey: not a tenant id and a SHA-256');
  return `${tenantId}/${sha256.slice(0, 2)}/${sha256}`;
}

/** The local disk under `dataDir/media`, or the S3-compatible bucket of S3_BUCKET. */
export function createMediaServices(config: Config): MediaServices {
  const root = join(config.dataDir, 'media');
  const signingKey = new SigningKey(config.media.signingSecret, join(config.dataDir, 'media-signing-secret'));
  const storage = config.media.s3 ? new S3Storage(config.media.s3) : new LocalStorage(root, signingKey, config.publicBaseUrl);
  // Uploads land here first, beside the local store, so storing one there is a link, not a copy.
  return { storage, signingKey, incomingDir: join(root, '.incoming') };
}
