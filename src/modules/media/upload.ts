import { rm } from 'node:fs/promises';
import type { Caller, Services } from '../../context.js';
import { AppError } from '../../errors.js';
import { runOperation, type RunOutcome } from '../../tools/runner.js';
import { acceptedType } from './content-types.js';
import { cleanName } from './names.js';
import { RECORD_UPLOAD_TOOL } from './operations.js';
import { purgeIfUnused } from './purge.js';
import { makeReceipt } from './receipts.js';
import { receiveUpload } from './receive.js';
import { objectKey } from './storage.js';

/** Room for the multipart framing and the form's short fields beside the file, in the body limit. */
const MULTIPART_ALLOWANCE = 64 * 1024;

/** The largest upload body read: the largest file plus the multipart framing around it. */
export const uploadBodyLimit = (services: Services): number => services.config.media.maxBytes + MULTIPART_ALLOWANCE;

/** Stores the object again and records it once more when a purge took it in between (see recordUpload). */
const STORE_ATTEMPTS = 3;

const objectMissing = (error: AppError) => error.code === 'conflict' && error.details?.reason === 'object_missing';

/**
 * An upload, from the request body to a media record: streamed to a temporary file (hashed, counted,
 * sniffed), refused unless non-empty and of an accepted type, stored under the clinic's key for its
 * hash, then recorded through the runner (so it is authorized and logged like every call). When the
 * record is refused, the object is removed again unless another record uses it.
 */
export async function acceptUpload(
  services: Services,
  caller: Caller,
  request: { body: ReadableStream<Uint8Array> | null; contentType: string | undefined; idempotencyKey: string | undefined },
): Promise<RunOutcome> {
  const upload = await receiveUpload({
    body: request.body,
    contentType: request.contentType,
    maxFileBytes: services.config.media.maxBytes,
    maxBodyBytes: uploadBodyLimit(services),
    directory: services.media.incomingDir,
  });
  try {
    if (upload.sizeBytes === 0) throw new AppError('unprocessable', 'The file is empty (0 bytes).', { issues: [{ path: 'file', message: 'empty (0 bytes)' }] });
    const contentType = await acceptedType(upload.head, 'file');
    const stored = { sha256: upload.sha256, sizeBytes: upload.sizeBytes, contentType };
    const receipt = await makeReceipt(services.media.signingKey, caller.tenant.id, stored);
    const run = { tool: RECORD_UPLOAD_TOOL, input: { receipt, originalName: cleanName(upload.fileName), ...upload.fields }, idempotencyKey: request.idempotencyKey };
    let outcome: RunOutcome;
    for (let attempt = 1; ; attempt++) {
      await services.media.storage.put(objectKey(caller.tenant.id, upload.sha256), { path: upload.path, sizeBytes: upload.sizeBytes, contentType });
      outcome = await runOperation(services, caller, run);
      if (outcome.ok || !objectMissing(outcome.error) || attempt >= STORE_ATTEMPTS) break;
    }
    if (!outcome.ok) await purgeIfUnused(services, caller.tenant.id, upload.sha256);
    return outcome;
  } finally {
    await rm(upload.path, { force: true });
  }
}
