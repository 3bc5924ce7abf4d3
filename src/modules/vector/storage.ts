import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { EMBEDDING_DIMENSIONS } from './embedder.js';

/**
 * Where pgvector is available (PGlite ships 0.8; a server may lack it), the start of every process
 * that migrates adds the extension, the `embedding` column and its indexes. Idempotent, so it runs
 * after the migrations every time rather than as a migration: a server that gets pgvector later gains
 * vector search at its next start, and a server without it runs the same schema lexical-only.
 *
 * HNSW (m 16, ef_construction 64, pgvector's defaults) on cosine distance: the vectors are normalized,
 * and HNSW needs no training data, unlike IVFFlat, so an empty table can have it from the start.
 */
export const HNSW_INDEX = `create index if not exists text_chunk_embedding_idx on text_chunk using hnsw (embedding vector_cosine_ops) with (m = 16, ef_construction = 64)`;

const STEPS = [
  `create extension if not exists vector`,
  `alter table text_chunk add column if not exists embedding vector(${EMBEDDING_DIMENSIONS})`,
  HNSW_INDEX,
  // What the backfill looks for: chunks still waiting for their vector.
  `create index if not exists text_chunk_unembedded_idx on text_chunk (tenant_id, created_at) where embedding is null`,
];

/** Adds vector storage when pgvector is available; true when the database has it afterwards. */
export async function prepareVectorStorage(orm: MikroORM): Promise<boolean> {
  const connection = orm.em.getConnection();
  const [available] = await connection.execute<{ available: boolean }[]>(`select exists (select 1 from pg_available_extensions where name = 'vector') as available`);
  if (available?.available) {
    for (const step of STEPS) await connection.execute(step, [], 'run');
  }
  capabilities.delete(orm.em.getDriver());
  return vectorStorage(orm.em.fork());
}

/** Per database driver (one per ORM, shared by its managers). */
const capabilities = new WeakMap<object, Promise<boolean>>();

/**
 * Whether chunks can hold vectors in this database: read once per ORM, then cached. Read on `em`,
 * so inside a transaction it asks on the transaction's own connection (PGlite serves one at a time).
 */
export function vectorStorage(em: EntityManager): Promise<boolean> {
  const driver = em.getDriver();
  let known = capabilities.get(driver);
  if (!known) {
    known = em
      .execute<{ present: boolean }[]>(
        `select exists (select 1 from information_schema.columns where table_schema = current_schema() and table_name = 'text_chunk' and column_name = 'embedding') as present`,
      )
      .then(([row]) => row?.present === true);
    // A failed read is not remembered: the next search asks again.
    known.catch(() => capabilities.delete(driver));
    capabilities.set(driver, known);
  }
  return known;
}

export const LEXICAL_ONLY_WARNING =
  'pgvector is not available in this PostgreSQL: semantic search runs lexical-only (full-text). The README (Search by meaning) says how to add it.';
