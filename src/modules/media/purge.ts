import type { Services } from '../../context.js';
import { lockUntilCommit } from '../../db/locks.js';
import type { JobHandler } from '../../jobs/worker.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { Media } from './entities.js';
import { objectKey } from './storage.js';

/** Removes a clinic's stored object once no live media record uses it; enqueued by delete_media. */
export const MEDIA_PURGE_JOB = 'media.purge';

/**
 * The lock (and job serial key) of one stored object: recording a new upload of it and purging it
 * take it, so a purge never removes an object a record is being added for.
 */
export const objectLock = (tenantId: string, sha256: string) => `media-object:${tenantId}:${sha256}`;

/**
 * Deletes the clinic's object of `sha256` from storage unless a live (not deleted) media record still
 * uses it; returns whether it did. Also cleans up after an upload whose record was refused.
 */
export async function purgeIfUnused(services: Services, tenantId: string, sha256: string): Promise<boolean> {
  return tenantEntityManager(services, tenantId).transactional(async (transaction) => {
    await lockUntilCommit(transaction, objectLock(tenantId, sha256));
    // Counted after the lock, in a statement of its own: it sees every record committed before it.
    if ((await transaction.count(Media, { sha256, deletedAt: null })) > 0) return false;
    await services.media.storage.delete(objectKey(tenantId, sha256));
    return true;
  });
}

export const purgeMedia: JobHandler = async ({ services, tenant, job }) => {
  const sha256 = job.payload.sha256;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return;
  await purgeIfUnused(services, tenant.id, sha256);
};
