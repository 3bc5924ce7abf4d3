import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.js';
import type { Logger } from '../../src/log.js';
import type { MediaView } from '../../src/modules/media/schema.js';
import { createHarness, type Harness, type TestTenant } from './harness.js';

export const MEDIA = '/api/v1/prm/media';

/** A harness whose media live in a fresh data folder of their own. */
export async function mediaHarness(options: { config?: Record<string, string>; clock?: Clock; log?: Logger } = {}): Promise<Harness & { dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'prm-media-'));
  const harness = await createHarness({ clock: options.clock, log: options.log, config: { PRM_DATA_DIR: dataDir, ...options.config } });
  return Object.assign(harness, { dataDir });
}

export type UploadOptions = { file?: Buffer; name?: string; type?: string; fields?: Record<string, string>; key?: string; headers?: Record<string, string> };

/** POSTs a multipart upload the way a browser's FormData does. */
export function upload(harness: Harness, clinic: TestTenant, options: UploadOptions = {}): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value);
  if (options.file) form.append('file', new Blob([new Uint8Array(options.file)], { type: options.type ?? 'application/octet-stream' }), options.name ?? 'upload.bin');
  return Promise.resolve(
    harness.app.request(MEDIA, { method: 'POST', body: form, headers: { authorization: `Bearer ${options.key ?? clinic.keys.admin}`, ...options.headers } }),
  );
}

/** Uploads and expects 201; returns the media record. */
export async function uploaded(harness: Harness, clinic: TestTenant, options: UploadOptions): Promise<MediaView> {
  const response = await upload(harness, clinic, options);
  const text = await response.text();
  if (response.status !== 201) throw new Error(`upload answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** Every file stored for the clinic on the local disk, by name (the SHA-256). */
export async function storedFiles(dataDir: string, tenantId: string): Promise<string[]> {
  const root = join(dataDir, 'media', tenantId);
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name).sort();
}

/** Files left in the upload folder: none once every upload has finished, whatever came of it. */
export async function incomingFiles(dataDir: string): Promise<string[]> {
  return readdir(join(dataDir, 'media', '.incoming')).catch(() => []);
}

export const BOUNDARY = 'prm-test-boundary-7d1f';

/** A multipart/form-data body written by hand, for what FormData will not send: raw header bytes, a cut-off end. */
export function multipartBody(parts: { headers: string; body: Buffer | string }[], options: { end?: boolean } = {}): Uint8Array<ArrayBuffer> {
  const pieces = parts.flatMap((part) => [Buffer.from(`--${BOUNDARY}\r\n${part.headers}\r\n\r\n`, 'latin1'), Buffer.from(part.body), Buffer.from('\r\n')]);
  return new Uint8Array(Buffer.concat([...pieces, Buffer.from(options.end === false ? '' : `--${BOUNDARY}--\r\n`)]));
}

export const multipartHeaders = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` });
