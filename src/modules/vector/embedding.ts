import type { EntityManager } from '@mikro-orm/postgresql';
import type { Services } from '../../context.js';
import { newId } from '../../ids.js';
import { EmbeddingUnavailable } from './embedder.js';
import { vectorStorage } from './storage.js';

export const BACKFILL_JOB = 'vector.backfill';

/** pgvector's text form of a vector. */
export const vectorLiteral = (vector: Float32Array): string => `[${Array.from(vector).join(',')}]`;

/**
 * Embeds the tenant's chunks that have no vector yet (only those of `sourceIds` when given), a batch
 * at a time with no transaction open, in a pipeline: while the model embeds a batch (on its own
 * threads), the batch before it is written (one statement) and the next one is read, so the model
 * waits for the database only for the first batch. Returns how many chunks got their vector. Throws
 * `EmbeddingUnavailable` when there is no model.
 */
export async function embedPending(services: Services, tenantId: string, options: { sourceIds?: string[] } = {}): Promise<number> {
  if (!(await vectorStorage(services.orm.em.fork()))) return 0;
  const em = services.orm.em.fork();
  const batchSize = services.config.embedding.batchSize * 4;
  // A batch being embedded still has no vectors: the next read leaves it out.
  const read = (embedding: readonly ChunkText[]) =>
    em.execute<ChunkText[]>(
      `select v.chunk_id as id, c.text from text_chunk_vector v join text_chunk c on c.id = v.chunk_id
        where v.tenant_id = ? and v.embedding is null and v.chunk_id <> all(?::uuid[]) ${options.sourceIds ? 'and c.source_id = any(?::uuid[])' : ''}
        order by v.chunk_id limit ?`,
      [tenantId, `{${embedding.map((row) => row.id).join(',')}}`, ...(options.sourceIds ? [`{${options.sourceIds.join(',')}}`] : []), batchSize],
    );
  const write = async (rows: readonly ChunkText[], vectors: readonly Float32Array[]) => {
    const values = rows.map(() => '(?::uuid, ?)').join(', ');
    await em.execute(
      `update text_chunk_vector v set embedding = x.embedding::vector from (values ${values}) x(id, embedding) where v.tenant_id = ? and v.chunk_id = x.id`,
      [...rows.flatMap((row, index) => [row.id, vectorLiteral(vectors[index])]), tenantId],
      'run',
    );
  };
  let embedded = 0;
  let writing: Promise<void> = Promise.resolve();
  let rows = await read([]);
  try {
    while (rows.length > 0) {
      const embedding = services.embedder.embed(rows.map((row) => row.text));
      embedding.catch(() => {}); // awaited below, after the database work it overlaps
      await writing;
      const next = await read(rows);
      const vectors = await embedding;
      writing = write(rows, vectors);
      embedded += rows.length;
      rows = next;
    }
  } finally {
    await writing;
  }
  return embedded;
}
type ChunkText = { id: string; text: string };

/**
 * Asks for a backfill of the tenant's missing vectors, in the caller's unit of work, unless one is
 * already waiting. Backfills of a tenant run one at a time, and retry with backoff while no model
 * is available (12 attempts: up to about 25 minutes); every start asks again (see `backfillAtStart`).
 */
export async function requestBackfill(em: EntityManager, tenantId: string): Promise<void> {
  const now = new Date();
  await em.execute(
    `insert into job (id, tenant_id, kind, payload, serial_key, status, attempts, max_attempts, run_at, created_at)
     select ?, ?, ?, '{}', ?, 'pending', 0, 12, ?, ?
      where not exists (select 1 from job where tenant_id = ? and kind = ? and status = 'pending')`,
    [newId(), tenantId, BACKFILL_JOB, `${BACKFILL_JOB}:${tenantId}`, now, now, tenantId, BACKFILL_JOB],
    'run',
  );
}

/** At start: a backfill for every tenant with chunks still waiting for vectors. */
export async function backfillAtStart(services: Services): Promise<void> {
  if (!(await vectorStorage(services.orm.em.fork()))) return;
  const em = services.orm.em.fork();
  const tenants = await em.execute<{ tenant_id: string }[]>(`select distinct tenant_id from text_chunk_vector where embedding is null`);
  for (const { tenant_id: tenantId } of tenants) await requestBackfill(em, tenantId);
  if (tenants.length > 0) services.log.info({ tenants: tenants.length }, 'chunks without vectors found: backfill queued');
}

/**
 * After new chunks committed: embeds them now when a model is available, or leaves them to a backfill.
 * Never throws for a missing model: the chunks are searchable by their words meanwhile.
 */
export async function embedOrDefer(services: Services, tenantId: string, sourceIds: string[]): Promise<void> {
  if (!(await vectorStorage(services.orm.em.fork()))) return;
  try {
    if (await services.embedder.ready()) {
      await embedPending(services, tenantId, { sourceIds });
      return;
    }
  } catch (error) {
    if (!(error instanceof EmbeddingUnavailable)) throw error;
  }
  await requestBackfill(services.orm.em.fork(), tenantId);
  services.jobs.nudge();
}
