import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { EMBEDDING_DIMENSIONS } from './embedder.js';

/**
 * Where pgvector is available (PGlite ships 0.8; a server may lack it), the start of every process
 * that migrates adds the extension and the chunks' vectors table with its indexes. Idempotent, so it
 * runs after the migrations every time rather than as a migration: a server that gets pgvector later
 * gains vector search at its next start, and a server without it runs the same schema lexical-only.
 *
 * The vectors live in a table of their own, one row per chunk (its id, tenant and vector; null until
 * embedded), not in a column of `text_chunk`: writing a vector then adds a small row to the HNSW
 * index and the row's key, where updating the chunk wrote its whole row again into every index of
 * `text_chunk`, its full-text GIN index included (measured on PGlite: about half the cost of storing a
 * vector), and left a dead copy of the text behind (the embedded database has no autovacuum).
 *
 * HNSW (m 16, ef_construction 64, pgvector's defaults) on cosine distance: the vectors are normalized,
 * and HNSW needs no training data, unlike IVFFlat, so an empty table can have it from the start.
 */
export const HNSW_INDEX = `create index if not exists text_chunk_vector_embedding_idx on text_chunk_vector using hnsw (embedding vector_cosine_ops) with (m = 16, ef_construction = 64)`;

const VECTORS_TABLE = `create table if not exists text_chunk_vector (
  chunk_id uuid primary key references text_chunk(id) on delete cascade,
  tenant_id uuid not null,
  embedding vector(${EMBEDDING_DIMENSIONS})
)`;

/**
 * When the table is new: the vectors of a database that kept them in `text_chunk.embedding` move
 * over (that column goes), and every chunk stored meanwhile, or before pgvector was installed, gets its
 * row, waiting for its vector.
 */
const FIRST_FILL = [
  `do $$ begin
     if exists (select 1 from information_schema.columns where table_schema = current_schema() and table_name = 'text_chunk' and column_name = 'embedding') then
       insert into text_chunk_vector (chunk_id, tenant_id, embedding) select id, tenant_id, embedding from text_chunk;
       alter table text_chunk drop column embedding;
     end if;
   end $$`,
  `insert into text_chunk_vector (chunk_id, tenant_id) select id, tenant_id from text_chunk on conflict (chunk_id) do nothing`,
];

const INDEXES = [
  HNSW_INDEX,
  // What the embedding looks for: chunks still waiting for their vector, oldest first (ids are UUIDv7).
  `create index if not exists text_chunk_vector_pending_idx on text_chunk_vector (tenant_id, chunk_id) where embedding is null`,
];

/** Adds vector storage when pgvector is available; true when the database has it afterwards. */
export async function prepareVectorStorage(orm: MikroORM): Promise<boolean> {
  const connection = orm.em.getConnection();
  const [available] = await connection.execute<{ available: boolean }[]>(`select exists (select 1 from pg_available_extensions where name = 'vector') as available`);
  if (available?.available) {
    const [table] = await connection.execute<{ present: boolean }[]>(`select to_regclass('text_chunk_vector') is not null as present`);
    const steps = [`create extension if not exists vector`, VECTORS_TABLE, ...(table?.present ? [] : FIRST_FILL), ...INDEXES];
    for (const step of steps) await connection.execute(step, [], 'run');
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
      .execute<{ present: boolean }[]>(`select to_regclass('text_chunk_vector') is not null as present`)
      .then(([row]) => row?.present === true);
    // A failed read is not remembered: the next search asks again.
    known.catch(() => capabilities.delete(driver));
    capabilities.set(driver, known);
  }
  return known;
}

export const LEXICAL_ONLY_WARNING =
  'pgvector is not available in this PostgreSQL: semantic search runs lexical-only (full-text). The README (Search by meaning) says how to add it.';
