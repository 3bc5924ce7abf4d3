import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { MediaUrlError } from '../../channels/twilio/gateway.js';
import { createContext, type Caller, type Services, type TenantInfo } from '../../context.js';
import { AppError } from '../../errors.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { Logger } from '../../log.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { getCommunication } from '../communications/service.js';
import { requireConversation } from '../conversations/lookup.js';
import { twilioCredentials } from '../conversations/twilio-settings.js';
import { isVerified } from '../conversations/views.js';
import { acceptedType } from './content-types.js';
import { Media } from './entities.js';
import { saveStream } from './measure.js';
import { addMedia, lockStoredObject } from './service.js';
import { objectKey } from './storage.js';

const systemCaller = (tenant: TenantInfo): Caller => ({ tenant, actor: { kind: 'system', id: 'twilio-media', role: 'system' }, channel: 'system' });

type Credentials = { accountSid: string; authToken: string };
type Source = { url: string; messageId: string; conversationId: string };

/**
 * Fetches each file of an inbound message (its `MediaUrlN`) from Twilio with the clinic's credentials
 * and stores it as media linked to the message, its conversation and, when the conversation is
 * verified, its patient. A file already stored is skipped, so a run after a failure picks up where it
 * stopped. A file that cannot be had (gone, too large, of a type not taken, not Twilio's URL) is logged
 * and skipped; a failure that may pass (a network error, Twilio's 5xx) fails the job, which is retried.
 */
export const fetchInboundMedia: JobHandler = async ({ services, tenant, job, log }) => {
  const reader = createContext(services, systemCaller(tenant), tenantEntityManager(services, tenant.id));
  const message = await getCommunication(reader, String(job.payload.entityId));
  const credentials = await twilioCredentials(reader);
  if (!credentials) {
    log.warn({ messageId: message.id }, 'inbound media not fetched: the clinic has no Twilio account');
    return;
  }
  const stored = await reader.em.find(Media, { messageId: message.id, sourceUrl: { $ne: null } });
  const done = new Set(stored.map((media) => media.sourceUrl));
  for (const reference of message.media) {
    if (done.has(reference.url)) continue;
    await fetchOne(services, tenant, credentials, { url: reference.url, messageId: message.id, conversationId: message.conversationId }, log);
  }
};

async function fetchOne(services: Services, tenant: TenantInfo, credentials: Credentials, source: Source, log: Logger): Promise<void> {
  const skip = (reason: string) => log.warn({ messageId: source.messageId, reason }, 'an inbound media file was not stored');
  const response = await services.twilio.openMedia(credentials, source.url).catch((error: unknown) => {
    if (error instanceof MediaUrlError) return error;
    throw error;
  });
  if (response instanceof MediaUrlError) return skip(response.message);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    // Twilio's 429 and 5xx may pass; any other answer will not.
    if (response.status === 429 || response.status >= 500) throw new Error(`Twilio answered ${response.status} for a media file`);
    return skip(`Twilio answered ${response.status}`);
  }
  const maxBytes = services.config.media.maxBytes;
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await response.body.cancel();
    return skip(`larger than PRM_MEDIA_MAX_BYTES (${maxBytes})`);
  }

  await mkdir(services.media.incomingDir, { recursive: true });
  const path = join(services.media.incomingDir, randomUUID());
  try {
    const measured = await saveStream(Readable.fromWeb(response.body as NodeWebStream<Uint8Array>), path, maxBytes).catch((error: unknown) => {
      if (error instanceof AppError) return error;
      throw error;
    });
    if (measured instanceof AppError) return skip(measured.message);
    if (measured.sizeBytes === 0) return skip('empty');
    const contentType = await acceptedType(measured.head, 'file').catch((error: unknown) => (error instanceof AppError ? error : Promise.reject(error)));
    if (contentType instanceof AppError) return skip(contentType.message);

    const file = { path, sizeBytes: measured.sizeBytes, contentType };
    const key = objectKey(tenant.id, measured.sha256);
    await services.media.storage.put(key, file);
    await tenantEntityManager(services, tenant.id).transactional(async (transaction) => {
      const ctx = createContext(services, systemCaller(tenant), transaction);
      // Purged between the store and now (another record of the same file was deleted): store it again.
      if (!(await lockStoredObject(ctx, measured.sha256))) await services.media.storage.put(key, file);
      const conversation = await requireConversation(ctx, source.conversationId);
      addMedia(ctx, {
        sha256: measured.sha256,
        sizeBytes: measured.sizeBytes,
        contentType,
        originalName: null,
        patientId: isVerified(conversation, ctx.clock.now()) ? (conversation.patientId ?? null) : null,
        conversationId: conversation.id,
        messageId: source.messageId,
        ticketId: null,
        sourceUrl: source.url,
      });
    });
  } finally {
    await rm(path, { force: true });
  }
}
