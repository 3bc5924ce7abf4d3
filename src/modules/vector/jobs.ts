import type { Caller, Services, TenantInfo } from '../../context.js';
import { createContext, type AppContext } from '../../context.js';
import { recordEvent } from '../../events.js';
import type { JobHandler } from '../../jobs/worker.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { removeSource, replaceChunks } from './chunk-store.js';
import { CONSENTED_CHUNK } from './consent.js';
import { EmbeddingUnavailable } from './embedder.js';
import { BACKFILL_JOB, embedOrDefer, embedPending } from './embedding.js';
import type { SourceType } from './entities.js';
import { messageSource, ticketSource, type LoadedSource } from './sources.js';
import { vectorStorage } from './storage.js';
import { FORGET_PATIENT_JOB, INGEST_MESSAGE_JOB, INGEST_TICKET_JOB } from './subscriptions.js';

const systemCaller = (tenant: TenantInfo): Caller => ({ tenant, actor: { kind: 'system', id: 'vector', role: 'system' }, channel: 'system' });

function inTransaction<T>(services: Services, tenant: TenantInfo, work: (ctx: AppContext) => Promise<T>): Promise<T> {
  return tenantEntityManager(services, tenant.id).transactional((transaction) => work(createContext(services, systemCaller(tenant), transaction)));
}

/** Indexes the source as it is now, or removes it when it may not be indexed; then embeds it. */
function reindex(type: SourceType, load: (ctx: AppContext, id: string) => Promise<LoadedSource>): JobHandler {
  return async ({ services, tenant, job }) => {
    const id = String(job.payload.entityId);
    const stored = await inTransaction(services, tenant, async (ctx) => {
      const loaded = await load(ctx, id);
      if ('withheld' in loaded) {
        await removeSource(ctx, type, id);
        return 0;
      }
      return replaceChunks(ctx, loaded.source);
    });
    if (stored > 0) await embedOrDefer(services, tenant.id, [id]);
  };
}

/** After a revocation: the patient's words they no longer consent to search are deleted. */
const forgetPatient: JobHandler = async ({ services, tenant, job }) => {
  const event = job.payload.payload as { purpose?: string } | undefined;
  if (event?.purpose !== 'conversation_search') return;
  const patientId = String(job.payload.entityId);
  await inTransaction(services, tenant, async (ctx) => {
    const removed = await ctx.em.execute<{ affectedRows: number }>(
      `delete from text_chunk c where c.tenant_id = ? and c.patient_id = ? and c.source_type in ('transcript', 'message') and not ${CONSENTED_CHUNK}`,
      [tenant.id, patientId],
      'run',
    );
    if (removed.affectedRows > 0) {
      recordEvent(ctx, { type: 'vector.patient_forgotten', entityType: 'patient', entityId: patientId, payload: { chunks: removed.affectedRows } });
    }
  });
};

/** Fills in the tenant's missing vectors; without a model it fails, and the worker retries with backoff. */
const backfill: JobHandler = async ({ services, tenant, log }) => {
  if (!(await vectorStorage(services.orm.em.fork()))) return;
  if (!(await services.embedder.ready())) throw new EmbeddingUnavailable(services.embedder.status().reason ?? 'the model is not ready');
  const embedded = await embedPending(services, tenant.id);
  if (embedded > 0) log.info({ embedded }, 'vectors backfilled');
};

export const vectorJobHandlers: Readonly<Record<string, JobHandler>> = {
  [INGEST_MESSAGE_JOB]: reindex('message', messageSource),
  [INGEST_TICKET_JOB]: reindex('ticket_note', ticketSource),
  [FORGET_PATIENT_JOB]: forgetPatient,
  [BACKFILL_JOB]: backfill,
};
