import type { Caller, Services, TenantInfo } from '../../context.js';
import { createContext, type AppContext } from '../../context.js';
import { recordEvent } from '../../events.js';
import type { ClaimedJob, JobHandler } from '../../jobs/worker.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { removeSource, replaceChunks } from './chunk-store.js';
import { Conversation } from '../conversations/entities.js';
import { CONSENTED_CHUNK, conversationSearchAllowed } from './consent.js';
import { EmbeddingUnavailable } from './embedder.js';
import { BACKFILL_JOB, embedOrDefer, embedPending } from './embedding.js';
import type { SourceType } from './entities.js';
import { messageSource, ticketSource, type LoadedSource } from './sources.js';
import { vectorStorage } from './storage.js';
import { INGEST_MESSAGE_JOB, INGEST_TICKET_JOB, PATIENT_JOB } from './subscriptions.js';

const systemCaller = (tenant: TenantInfo): Caller => ({ tenant, actor: { kind: 'system', id: 'vector', role: 'system' }, channel: 'system' });

function inTransaction<T>(services: Services, tenant: TenantInfo, work: (ctx: AppContext) => Promise<T>): Promise<T> {
  return tenantEntityManager(services, tenant.id).transactional((transaction) => work(createContext(services, systemCaller(tenant), transaction)));
}

type Loader = (ctx: AppContext, id: string) => Promise<LoadedSource>;

/** Indexes the source as it is now, in a transaction of its own, or removes it when it may not be indexed. */
function indexSource(services: Services, tenant: TenantInfo, type: SourceType, load: Loader, id: string): Promise<number> {
  return inTransaction(services, tenant, async (ctx) => {
    const loaded = await load(ctx, id);
    if ('withheld' in loaded) {
      await removeSource(ctx, type, id);
      return 0;
    }
    return replaceChunks(ctx, loaded.source);
  });
}

function reindex(type: SourceType, load: Loader): JobHandler {
  return async ({ services, tenant, job }) => {
    const id = String(job.payload.entityId);
    if ((await indexSource(services, tenant, type, load, id)) > 0) await embedOrDefer(services, tenant.id, [id]);
  };
}

/**
 * Indexes earlier messages: all of the patient's after a grant (those the grant covers), or, when a
 * conversation is linked to its patient, the ones of that conversation not indexed yet (it had no
 * patient when they arrived).
 */
async function rememberMessages(services: Services, tenant: TenantInfo, scope: { patientId: string } | { conversationId: string }): Promise<void> {
  const messages = await services.orm.em.fork().execute<{ id: string }[]>(
    'patientId' in scope
      ? `select m.id from communication m join conversation c on c.id = m.conversation_id where c.tenant_id = ? and c.patient_id = ? order by m.created_at, m.id`
      : `select m.id from communication m where m.tenant_id = ? and m.conversation_id = ?
           and not exists (select 1 from text_chunk t where t.tenant_id = m.tenant_id and t.source_type = 'message' and t.source_id = m.id)
         order by m.created_at, m.id`,
    [tenant.id, 'patientId' in scope ? scope.patientId : scope.conversationId],
  );
  const indexed: string[] = [];
  for (const { id } of messages) {
    if ((await indexSource(services, tenant, 'message', messageSource, id)) > 0) indexed.push(id);
  }
  if (indexed.length > 0) await embedOrDefer(services, tenant.id, indexed);
}

/** Whether the verified patient of a conversation lets it be searched (the usual answer, no, costs one query). */
async function conversationSearchable(services: Services, tenant: TenantInfo, conversationId: string, patientId: string): Promise<boolean> {
  const ctx = createContext(services, systemCaller(tenant), tenantEntityManager(services, tenant.id));
  const conversation = await ctx.em.findOne(Conversation, { id: conversationId });
  return conversation !== null && (await conversationSearchAllowed(ctx, patientId, conversation.channel));
}

/**
 * Deletes the patient's words: those their consent no longer covers (after a revocation), or all of
 * them (the patient was deleted).
 */
function forgetPatient(services: Services, tenant: TenantInfo, patientId: string, options: { all: boolean }): Promise<void> {
  return inTransaction(services, tenant, async (ctx) => {
    const removed = await ctx.em.execute<{ affectedRows: number }>(
      `delete from text_chunk c where c.tenant_id = ? and c.patient_id = ? and c.source_type in ('transcript', 'message') ${options.all ? '' : `and not ${CONSENTED_CHUNK}`}`,
      [tenant.id, patientId],
      'run',
    );
    if (removed.affectedRows > 0) {
      recordEvent(ctx, { type: 'vector.patient_forgotten', entityType: 'patient', entityId: patientId, payload: { chunks: removed.affectedRows } });
    }
  });
}

/** A merge: the merged record's chunks now belong to the kept one (whose consent decides from now on). */
function movePatient(services: Services, tenant: TenantInfo, from: string, to: string): Promise<void> {
  return inTransaction(services, tenant, async (ctx) => {
    const moved = await ctx.em.execute<{ affectedRows: number }>(`update text_chunk set patient_id = ?, updated_at = now() where tenant_id = ? and patient_id = ?`, [to, tenant.id, from], 'run');
    if (moved.affectedRows > 0) recordEvent(ctx, { type: 'vector.patient_moved', entityType: 'patient', entityId: to, payload: { from, chunks: moved.affectedRows } });
  });
}

/** What a change to a patient means for their indexed words. */
const patientChanged: JobHandler = async ({ services, tenant, job }) => {
  const entityId = String(job.payload.entityId);
  const details = (job.payload.payload ?? {}) as { purpose?: string; sourcePatientId?: string; patientId?: string };
  // The patient's own events are about the patient; `conversation.verified` names the conversation and carries the patient.
  const patientId = job.payload.type === 'conversation.verified' ? String(details.patientId) : entityId;
  switch (job.payload.type) {
    case 'patient.consent_granted':
      if (details.purpose === 'conversation_search') await rememberMessages(services, tenant, { patientId });
      return;
    case 'conversation.verified':
      if (await conversationSearchable(services, tenant, entityId, patientId)) await rememberMessages(services, tenant, { conversationId: entityId });
      return;
    case 'patient.consent_revoked':
      if (details.purpose === 'conversation_search') await forgetPatient(services, tenant, patientId, { all: false });
      return;
    case 'patient.deleted':
      await forgetPatient(services, tenant, patientId, { all: true });
      return;
    case 'patient.merged':
      if (details.sourcePatientId) await movePatient(services, tenant, details.sourcePatientId, patientId);
      return;
  }
};

/**
 * Fills in the tenant's missing vectors; without a model it fails, and the worker retries with
 * backoff, unless a later backfill of the tenant is already waiting (asked for while this one ran):
 * that one carries on, so a tenant never has more than one backfill retrying.
 */
const backfill: JobHandler = async ({ services, tenant, log, job }) => {
  if (!(await vectorStorage(services.orm.em.fork()))) return;
  if (!(await services.embedder.ready())) {
    if (await laterBackfillWaiting(services, job)) return;
    throw new EmbeddingUnavailable(services.embedder.status().reason ?? 'the model is not ready');
  }
  const embedded = await embedPending(services, tenant.id);
  if (embedded > 0) log.info({ embedded }, 'vectors backfilled');
};

async function laterBackfillWaiting(services: Services, job: ClaimedJob): Promise<boolean> {
  const rows = await services.orm.em.fork().execute(
    `select 1 from job where serial_key = ? and status = 'pending' and id <> ? limit 1`,
    [job.serialKey, job.id],
  );
  return rows.length > 0;
}

export const vectorJobHandlers: Readonly<Record<string, JobHandler>> = {
  [INGEST_MESSAGE_JOB]: reindex('message', messageSource),
  [INGEST_TICKET_JOB]: reindex('ticket_note', ticketSource),
  [PATIENT_JOB]: patientChanged,
  [BACKFILL_JOB]: backfill,
};
