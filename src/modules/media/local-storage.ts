import { copyFile, link, mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileLink } from './file-links.js';
import type { SigningKey } from './signing.js';
import type { LinkRequest, MediaStorage } from './storage.js';

const missing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** Files on the local disk, `<root>/<tenant>/<ab>/<sha256>`; links are HMAC-signed URLs of this service. */
export class LocalStorage implements MediaStorage {
  readonly kind = 'local';

  constructor(
    private readonly root: string,
    private readonly signingKey: SigningKey,
    private readonly publicBaseUrl: string | undefined,
  ) {}

  async put(key: string, file: { path: string }): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    try {
      // A hard link puts the whole file in place at once, or fails because it is already there.
      await link(file.path, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      if (code !== 'EXDEV' && code !== 'EPERM') throw error;
      await copyFile(file.path, target);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (error) {
      if (missing(error)) return false;
      throw error;
    }
  }

  async get(key: string): Promise<ReadableStream<Uint8Array> | null> {
    try {
      const handle = await open(this.pathOf(key), 'r');
      return Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array>;
    } catch (error) {
      if (missing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  signedUrl(request: LinkRequest): Promise<string> {
    return fileLink(this.signingKey, { mediaId: request.mediaId, expiresAt: request.expiresAt, baseUrl: this.publicBaseUrl });
  }

  private pathOf(key: string): string {
    return join(this.root, key);
  }
}
