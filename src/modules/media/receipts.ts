import { AppError } from '../../errors.js';
import type { UploadReceipt } from './schema.js';
import type { SigningKey } from './signing.js';

type Stored = Omit<UploadReceipt, 'signature'>;

const parts = (tenantId: string, receipt: Stored) => ['media-upload', tenantId, receipt.sha256, String(receipt.sizeBytes), receipt.contentType];

/**
 * The upload route's proof that it stored and measured a file for the clinic: `record_media_upload`
 * takes no hash, size or type it did not get from a receipt, so no other door can name an object.
 * The same file always gets the same receipt, so an upload repeated with its Idempotency-Key is the
 * same call and replays the first; a receipt names only a file the clinic itself uploaded, and
 * recording one whose object was purged since is refused (409).
 */
export async function makeReceipt(signingKey: SigningKey, tenantId: string, stored: Stored): Promise<UploadReceipt> {
  return { ...stored, signature: await signingKey.sign(parts(tenantId, stored)) };
}

/** Throws 400 naming `receipt` unless the receipt was made for this clinic by this service. */
export async function checkReceipt(signingKey: SigningKey, tenantId: string, receipt: UploadReceipt): Promise<void> {
  const { signature, ...stored } = receipt;
  if (!(await signingKey.verify(parts(tenantId, stored), signature))) {
    const message = 'not a receipt of the upload route: upload the file with POST /media (multipart)';
    throw new AppError('invalid_input', `Invalid input: receipt: ${message}`, { issues: [{ path: 'receipt', message }] });
  }
}
