import type { AppContext } from '../../context.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { chunkText } from './chunking.js';
import type { SourceType } from './entities.js';
import { vectorStorage } from './storage.js';

/** A source's whole text and what its chunks are filtered by. */
export type SourceText = {
  type: SourceType;
  id: string;
  patientId: string | null;
  /** The conversation channel, for messages and transcripts. */
  channel: string | null;
  sourceAt: Date;
  text: string;
};

const ROWS_PER_INSERT = 200;
const COLUMNS = 12;

/**
 * Replaces the source's chunks with the chunks of its current text, without vectors: where pgvector
 * is, each chunk's row in `text_chunk_vector` waits for its vector, in the same statement (the
 * embedding runs after the commit: see embedding.ts). Idempotent: ingesting a source again replaces it.
 */
export async function replaceChunks(ctx: AppContext, source: SourceText): Promise<number> {
  const { tokens, overlap } = ctx.services.config.chunking;
  const chunks = await chunkText(source.text, { tokens, overlap, countTokens: (text) => ctx.services.embedder.countTokens(text) });
  await deleteChunks(ctx, source.type, source.id);
  const vectors = await vectorStorage(ctx.em);
  const now = ctx.clock.now();
  for (let start = 0; start < chunks.length; start += ROWS_PER_INSERT) {
    const batch = chunks.slice(start, start + ROWS_PER_INSERT);
    const values = batch.map(() => `(${Array(COLUMNS).fill('?').join(', ')})`).join(', ');
    const params = batch.flatMap((chunk) => [
      newId(), ctx.tenant.id, source.type, source.id, source.patientId, source.channel, chunk.index, chunk.text, chunk.tokenCount, source.sourceAt, now, now,
    ]);
    const insert = `insert into text_chunk (id, tenant_id, source_type, source_id, patient_id, channel, chunk_index, text, token_count, source_at, created_at, updated_at) values ${values}`;
    const sql = vectors ? `with chunk as (${insert} returning id, tenant_id) insert into text_chunk_vector (chunk_id, tenant_id) select id, tenant_id from chunk` : insert;
    await ctx.em.execute(sql, params, 'run');
  }
  recordEvent(ctx, { type: 'vector.source_indexed', entityType: source.type, entityId: source.id, payload: { chunks: chunks.length } });
  return chunks.length;
}

/** Removes the source's chunks (and a knowledge source's record); records an event when there were any. */
export async function removeSource(ctx: AppContext, type: SourceType, id: string): Promise<number> {
  const removed = await deleteChunks(ctx, type, id);
  const sources = type === 'knowledge' ? await ctx.em.execute<{ affectedRows: number }>(`delete from knowledge_source where tenant_id = ? and id = ?`, [ctx.tenant.id, id], 'run') : { affectedRows: 0 };
  if (removed > 0 || sources.affectedRows > 0) recordEvent(ctx, { type: 'vector.source_removed', entityType: type, entityId: id, payload: { chunks: removed } });
  return removed;
}

/**
 * Deletes the source's chunks, first taking the source's lock for the rest of the transaction: two
 * indexings of one source (a message's own job and a consent grant's) then run one after the other,
 * the second replacing what the first wrote, instead of meeting on the unique chunk position.
 */
async function deleteChunks(ctx: AppContext, type: SourceType, id: string): Promise<number> {
  await ctx.em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`text_chunk:${ctx.tenant.id}:${type}:${id}`]);
  const result = await ctx.em.execute<{ affectedRows: number }>(`delete from text_chunk where tenant_id = ? and source_type = ? and source_id = ?`, [ctx.tenant.id, type, id], 'run');
  return result.affectedRows;
}
