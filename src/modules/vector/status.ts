import type { AppContext } from '../../context.js';
import type { EmbedderStatus } from './embedder.js';
import { sourceTypes, type SourceType } from './entities.js';
import { vectorStorage } from './storage.js';

/** Whether searches are hybrid now: pgvector in the database and a model that loads. */
async function searchMode(ctx: AppContext): Promise<{ mode: 'hybrid' | 'lexical'; pgvector: boolean; embedder: EmbedderStatus }> {
  const pgvector = await vectorStorage(ctx.em);
  const ready = await ctx.services.embedder.ready();
  return { mode: pgvector && ready ? 'hybrid' : 'lexical', pgvector, embedder: ctx.services.embedder.status() };
}

/** Chunks per source type, with and without vectors, and the model and mode in use. */
export async function vectorStats(ctx: AppContext) {
  const state = await searchMode(ctx);
  const rows = await ctx.em.execute<{ source_type: SourceType; chunks: number; with_vectors: number }[]>(
    state.pgvector
      ? `select c.source_type, count(*)::int as chunks, count(v.embedding)::int as with_vectors
           from text_chunk c left join text_chunk_vector v on v.chunk_id = c.id where c.tenant_id = ? group by c.source_type`
      : `select source_type, count(*)::int as chunks, 0 as with_vectors from text_chunk where tenant_id = ? group by source_type`,
    [ctx.tenant.id],
  );
  const sources = sourceTypes.map((sourceType) => {
    const row = rows.find((candidate) => candidate.source_type === sourceType);
    const chunks = row?.chunks ?? 0;
    const withVectors = row?.with_vectors ?? 0;
    return { sourceType, chunks, withVectors, withoutVectors: chunks - withVectors };
  });
  return { ...state, sources };
}

/** The module's own check: the table answers; ok when search is by meaning too; how long the model takes on one sentence. */
export async function vectorHealth(ctx: AppContext) {
  await ctx.em.execute(`select 1 from text_chunk where tenant_id = ? limit 1`, [ctx.tenant.id]);
  const state = await searchMode(ctx);
  let embeddingMs: number | null = null;
  if (state.embedder.state === 'ready') {
    const started = performance.now();
    await ctx.services.embedder.embed(['Is the clinic open on Saturday?']);
    embeddingMs = Math.round((performance.now() - started) * 100) / 100;
  }
  return { ok: state.mode === 'hybrid', ...state, embeddingMs };
}
