import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppContext } from '../../context.js';
import { unprocessable } from '../../errors.js';
import { toIso } from '../../schema.js';
import { EmbeddingUnavailable } from './embedder.js';
import { vectorLiteral } from './embedding.js';
import type { SourceType } from './entities.js';
import { CONSENTED_CHUNK } from './consent.js';
import type { SearchOutput } from './schema.js';
import { vectorStorage } from './storage.js';

export type SearchOptions = {
  query: string;
  sourceTypes?: readonly SourceType[];
  patientId?: string;
  from?: string;
  to?: string;
  limit: number;
  /** `auto` (default): hybrid when vectors can be used, else lexical. `vector`: nearest neighbours only. */
  mode?: 'auto' | 'vector';
};

/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, 2009): each result scores Σ 1 / (k + rank) over
 * the lists it appears in. It needs no calibration between `ts_rank_cd` and cosine distance, whose
 * scales have nothing in common, and k = 60 (the paper's value) keeps one list's top hit from
 * drowning a result both lists rank well.
 */
const RRF_K = 60;
/** Each list's candidates: enough for fusion to reorder the top `limit`. */
const candidates = (limit: number) => Math.max(40, limit * 4);
/**
 * HNSW breadth, and pgvector 0.8's iterative scan: with a tenant, type or date filter the first
 * `ef_search` neighbours may all be filtered out; the scan then goes on until enough rows pass.
 */
const HNSW_SETTINGS = `select set_config('hnsw.ef_search', '100', true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`;

/**
 * Search by words and, where a model and pgvector are available, by meaning; always within the
 * caller's tenant, and never returning a patient's words without their current consent. The words
 * side is read while the query is embedded (the model runs on its own threads), then one statement
 * takes the nearest neighbours, fuses both lists and writes the snippets.
 */
export async function searchText(ctx: AppContext, options: SearchOptions): Promise<SearchOutput> {
  const filter = filterSql(ctx, options);
  const pool = candidates(options.limit);
  const embedding = embedQuery(ctx, options);
  embedding.catch(() => {}); // awaited below; this only keeps a failure meanwhile from counting as unhandled
  // Hybrid: the words side matches every word (precision) and meaning brings what is said otherwise
  // (recall). Lexical only: any word matches, ranked by how many and how close (see lexicalQuery).
  const hybrid = options.mode !== 'vector' && (await vectorsUsable(ctx));
  let words = options.mode === 'vector' ? [] : await wordMatches(ctx.em, hybrid ? options.query : lexicalQuery(options.query), filter, pool);
  const queryVector = await embedding;
  if (hybrid && !queryVector) words = await wordMatches(ctx.em, lexicalQuery(options.query), filter, pool); // the model failed just now
  const mode = options.mode === 'vector' ? 'vector' : queryVector ? 'hybrid' : 'lexical';

  const lists = ['select id, position, null::float8 as distance from unnest(?::uuid[]) with ordinality as w(id, position)'];
  const params: unknown[] = [options.query, options.query, `{${words.join(',')}}`];
  if (queryVector) {
    lists.push(`select id, row_number() over (order by distance, id) as position, distance from (
        select c.id, v.embedding <=> ?::vector as distance from text_chunk_vector v join text_chunk c on c.id = v.chunk_id
         where v.embedding is not null and v.tenant_id = c.tenant_id and ${filter.sql} order by v.embedding <=> ?::vector limit ?) nearest`);
    params.push(queryVector, ...filter.params, queryVector, pool);
  }
  const sql = `with q as (select websearch_to_tsquery('english', ?) as query, websearch_to_tsquery('english', ?) as every_word),
    ranks as (${lists.join(' union all ')}),
    fused as (select id, sum(1.0 / (${RRF_K} + position))::float8 as score, min(distance)::float8 as distance from ranks group by id)
    select c.id, c.source_type, c.source_id, c.chunk_index, c.patient_id, c.source_at, c.text, k.title, f.score,
           c.search_vector @@ q.every_word as matched_all_words, 1 - f.distance as similarity,
           ts_headline('english', c.text, q.query, 'MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … ", StartSel=**, StopSel=**') as snippet
      from fused f join text_chunk c on c.id = f.id cross join q
      left join knowledge_source k on c.source_type = 'knowledge' and k.id = c.source_id
     order by f.score desc, c.id limit ?`;
  params.push(options.limit);
  const rows = await run(ctx.em, queryVector !== undefined, sql, params);
  return {
    mode,
    results: rows.map((row) => ({
      score: row.score,
      snippet: row.snippet,
      text: row.text,
      source: { type: row.source_type, id: row.source_id, chunkIndex: row.chunk_index, title: row.title },
      patientId: row.patient_id,
      sourceAt: toIso(new Date(row.source_at)),
      matchedAllWords: row.matched_all_words,
      similarity: row.similarity,
    })),
  };
}

/** The chunks that match `query`'s words, best `ts_rank_cd` first: the words side's ranked list. */
async function wordMatches(em: EntityManager, query: string, filter: { sql: string; params: unknown[] }, pool: number): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(
    `select c.id from text_chunk c, websearch_to_tsquery('english', ?) q
      where c.search_vector @@ q and ${filter.sql} order by ts_rank_cd(c.search_vector, q) desc, c.id limit ?`,
    [query, ...filter.params, pool],
  );
  return rows.map((row) => row.id);
}

type Row = {
  id: string;
  source_type: SourceType;
  source_id: string;
  chunk_index: number;
  patient_id: string | null;
  source_at: Date | string;
  text: string;
  title: string | null;
  score: number;
  snippet: string;
  matched_all_words: boolean;
  similarity: number | null;
};

/** Vector search runs in a short transaction of its own, for its `set local` settings. */
function run(em: EntityManager, vectors: boolean, sql: string, params: unknown[]): Promise<Row[]> {
  if (!vectors) return em.execute<Row[]>(sql, params);
  return em.transactional(async (transaction) => {
    await transaction.execute(HNSW_SETTINGS);
    return transaction.execute<Row[]>(sql, params);
  });
}

/** Whether this search can use vectors: pgvector in the database and a model loaded. */
async function vectorsUsable(ctx: AppContext): Promise<boolean> {
  return (await vectorStorage(ctx.em)) && (await ctx.services.embedder.ready());
}

/** The query's vector, or undefined for a lexical search (no pgvector, no model). */
async function embedQuery(ctx: AppContext, options: SearchOptions): Promise<string | undefined> {
  const storage = await vectorStorage(ctx.em);
  const available = storage && (await ctx.services.embedder.ready());
  if (!available) {
    if (options.mode === 'vector') throw unprocessable(storage ? 'No embedding model is available for a vector search.' : 'This database has no pgvector: only lexical search.');
    return undefined;
  }
  try {
    const [vector] = await ctx.services.embedder.embed([options.query]);
    return vectorLiteral(vector);
  } catch (error) {
    if (!(error instanceof EmbeddingUnavailable) || options.mode === 'vector') throw error;
    ctx.log.warn({ err: error }, 'embedding the query failed; searching by words');
    return undefined;
  }
}

function filterSql(ctx: AppContext, options: SearchOptions): { sql: string; params: unknown[] } {
  const conditions = ['c.tenant_id = ?', CONSENTED_CHUNK];
  const params: unknown[] = [ctx.tenant.id];
  if (options.sourceTypes) {
    conditions.push('c.source_type = any(?::text[])');
    params.push(`{${options.sourceTypes.join(',')}}`);
  }
  if (options.patientId) {
    conditions.push('c.patient_id = ?');
    params.push(options.patientId);
  }
  if (options.from) {
    conditions.push('c.source_at >= ?');
    params.push(new Date(options.from));
  }
  if (options.to) {
    conditions.push('c.source_at < ?');
    params.push(new Date(options.to));
  }
  return { sql: conditions.join(' and '), params };
}

/**
 * What the full-text side matches in a lexical-only search. `websearch_to_tsquery` joins words with
 * AND, which for a question in plain words ("where can I park my car") finds almost nothing without
 * the vectors; plain words are joined with OR instead and `ts_rank_cd` ranks texts with more of them
 * first. A query written in search syntax (quotes, -word, or) is taken as written.
 */
export function lexicalQuery(query: string): string {
  if (/"|(^|\s)-\S|\bor\b/i.test(query)) return query;
  const words = query.match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [];
  return words.length > 0 ? words.join(' or ') : query;
}
