import { AppError } from '../../errors.js';
import type { UploadReceipt } from './schema.js';
import type { SigningKey } from './signing.js';

/** How long the upload route's receipt is taken: the operation runs right after it is made. */
const RECEIPT_SECONDS = 600;

type Stored = Omit<UploadReceipt, 'signature' | 'expires'>;

const parts = (tenantId: string, receipt: Omit<UploadReceipt, 'signature'>) => ['media-upload', tenantId, receipt.sha256, String(receipt.sizeBytes), receipt.contentType, String(receipt.expires)];

/**
 * The upload route's proof that it stored and measured a file for the clinic: `record_media_upload`
 * takes no hash, size or type it did not get from a receipt, so no other door can name an object.
 */
export async function makeReceipt(signingKey: SigningKey, tenantId: string, stored: Stored, now: Date): Promise<UploadReceipt> {
  const unsigned = { ...stored, expires: Math.floor(now.getTime() / 1000) + RECEIPT_SECONDS };
  return { ...unsigned, signature: await signingKey.sign(parts(tenantId, unsigned)) };
}

/** Throws 400 naming `receipt` unless the receipt was made for this clinic by this service and is still current. */
export async function checkReceipt(signingKey: SigningKey, tenantId: string, receipt: UploadReceipt, now: Date): Promise<void> {
  const { signature, ...unsigned } = receipt;
  const valid = (await signingKey.verify(parts(tenantId, unsigned), signature)) && receipt.expires * 1000 > now.getTime();
  if (!valid) {
    const message = 'not a current receipt of the upload route: upload the file with POST /media (multipart)';
    throw new AppError('invalid_input', `Invalid input: receipt: ${message}`, { issues: [{ path: 'receipt', message }] });
  }
}
