import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The key download links and upload receipts are signed with (HMAC-SHA256): PRM_MEDIA_SIGNING_SECRET,
 * or else a random secret made once and kept in the data folder, so links survive a restart and every
 * process of `serve` (they share the folder) signs alike. Read when first needed.
 */
export class SigningKey {
  #key: Promise<Buffer> | undefined;

  constructor(
    private readonly configured: string | undefined,
    private readonly secretFile: string,
  ) {}

  /** The base64url HMAC of `parts`; each purpose starts its parts with its own name. */
  async sign(parts: readonly string[]): Promise<string> {
    return createHmac('sha256', await this.key()).update(parts.join('\n')).digest('base64url');
  }

  /** Whether `signature` is the one `sign(parts)` gives, compared in constant time. */
  async verify(parts: readonly string[], signature: string): Promise<boolean> {
    const expected = Buffer.from(await this.sign(parts));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private key(): Promise<Buffer> {
    this.#key ??= this.configured !== undefined ? Promise.resolve(Buffer.from(this.configured)) : keptSecret(this.secretFile);
    return this.#key;
  }
}

/**
 * The secret in `file`, made (32 random bytes, owner-only) if there is none. Written aside and linked
 * into place, so a reader never sees half a secret and the first process to link it wins.
 */
async function keptSecret(file: string): Promise<Buffer> {
  await mkdir(dirname(file), { recursive: true });
  const draft = `${file}.${randomBytes(8).toString('hex')}`;
  await writeFile(draft, randomBytes(32).toString('base64url'), { mode: 0o600 });
  try {
    await link(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(draft, { force: true });
  }
  const secret = (await readFile(file, 'utf8')).trim();
  if (secret.length < 32) throw new Error(`The media signing secret in ${file} is shorter than 32 characters.`);
  return Buffer.from(secret);
}
