import { loadConfig } from '../../src/config.js';
import { createContext, type AppContext, type Caller, type Services } from '../../src/context.js';
import { newId } from '../../src/ids.js';
import { createLogger } from '../../src/log.js';
import { EMBEDDING_DIMENSIONS, type Embedder } from '../../src/modules/vector/embedder.js';
import { embedPending, vectorLiteral } from '../../src/modules/vector/embedding.js';
import { createEmbedder } from '../../src/modules/vector/local-embedder.js';
import { searchText } from '../../src/modules/vector/search.js';
import { HNSW_INDEX, vectorStorage } from '../../src/modules/vector/storage.js';
import { tenantEntityManager } from '../../src/tools/runner.js';
import { benchTenant, openInProcess, run } from '../in-process.js';
import type { Goal, Row, Section } from '../section.js';
import { count, ms, rate, timeCalls, type Summary } from '../stats.js';

const SIZES = [10_000, 100_000];
const CLUSTERS = 200;
const QUERIES = 200;
const WARM_UP = 20;
const RECALL_QUERIES = 100;
const INGEST_ARTICLES = 40;
const GOALS = { p95At10k: 20, p95At100k: 50, recall: 0.95, ingestion: 200 };

/** A seeded generator, so every run searches the same data. */
function random(seed: number) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

const normalized = (vector: Float32Array) => {
  const norm = Math.hypot(...vector);
  for (let index = 0; index < vector.length; index++) vector[index] /= norm;
  return vector;
};

/**
 * Clustered data: each chunk's vector is its cluster's centre plus noise, and its text mixes the
 * cluster's topic words with common words, so both the vector and the full-text side have structure
 * (uniformly random vectors would make HNSW recall meaningless).
 */
function syntheticCorpus(seed: number) {
  const rng = random(seed);
  const centres = Array.from({ length: CLUSTERS }, () => normalized(Float32Array.from({ length: EMBEDDING_DIMENSIONS }, rng.normal)));
  const topics = Array.from({ length: CLUSTERS }, (_, cluster) => Array.from({ length: 12 }, (_, word) => `topic${cluster}w${word}`));
  const common = Array.from({ length: 500 }, (_, word) => `word${word}`);
  const pick = <T>(items: T[]) => items[Math.floor(rng.uniform() * items.length)];
  const near = (cluster: number, spread: number) =>
    normalized(Float32Array.from(centres[cluster], (value) => value + rng.normal() * spread));
  return {
    chunk: () => {
      const cluster = Math.floor(rng.uniform() * CLUSTERS);
      const words = [...Array.from({ length: 8 }, () => pick(topics[cluster])), ...Array.from({ length: 32 }, () => pick(common))];
      return { text: words.join(' '), vector: near(cluster, 0.06) };
    },
    /** The number makes each query's text unique: it names its vector. */
    query: (number: number) => {
      const cluster = Math.floor(rng.uniform() * CLUSTERS);
      return { text: `${pick(topics[cluster])} ${pick(topics[cluster])} ${pick(common)} q${number}`, vector: near(cluster, 0.06) };
    },
  };
}

/**
 * The query's embedding: the model's time on the query text is spent (when there is a model), but
 * the vector searched is a synthetic one from the data's clusters, since the stored vectors are too.
 */
function benchQueryEmbedder(model: Embedder | undefined, vectors: ReadonlyMap<string, Float32Array>): Embedder {
  return {
    status: () => model?.status() ?? { state: 'ready', model: 'synthetic vectors (no model)', source: 'local', dimensions: EMBEDDING_DIMENSIONS },
    ready: async () => true,
    countTokens: (text) => model?.countTokens(text) ?? Promise.resolve(text.split(/\s+/).length),
    embed: async (texts) => {
      if (model) await model.embed(texts);
      return texts.map((text) => {
        const vector = vectors.get(text);
        if (!vector) throw new Error(`No synthetic vector for the query "${text}"`);
        return vector;
      });
    },
  };
}

async function insertSynthetic(services: Services, tenantId: string, corpus: ReturnType<typeof syntheticCorpus>, rows: number): Promise<void> {
  const em = services.orm.em.fork();
  const now = new Date();
  for (let start = 0; start < rows; start += 500) {
    const batch = Array.from({ length: Math.min(500, rows - start) }, () => corpus.chunk());
    await em.execute(
      `insert into text_chunk (id, tenant_id, source_type, source_id, chunk_index, text, token_count, source_at, created_at, updated_at, embedding)
       values ${batch.map(() => `(?, ?, 'knowledge', ?, 0, ?, 40, ?, ?, ?, ?::vector)`).join(', ')}`,
      batch.flatMap((chunk) => [newId(), tenantId, newId(), chunk.text, now, now, now, vectorLiteral(chunk.vector)]),
      'run',
    );
  }
}

async function exactNearest(services: Services, tenantId: string, vector: Float32Array): Promise<string[]> {
  return services.orm.em.fork().transactional(async (transaction) => {
    await transaction.execute(`set local enable_indexscan = off`, [], 'run');
    const rows = await transaction.execute<{ source_id: string }[]>(
      `select source_id from text_chunk where tenant_id = ? and embedding is not null order by embedding <=> ?::vector limit 10`,
      [tenantId, vectorLiteral(vector)],
    );
    return rows.map((row) => row.source_id);
  });
}

const measure = (call: () => Promise<unknown>): Promise<Summary> => timeCalls(call, { runs: QUERIES, warmUp: WARM_UP });

/** Ingestion through `ingest_knowledge` and the embedding that follows it: the model is needed. */
async function ingestionRate(services: Services, caller: Caller, model: Embedder): Promise<{ chunks: number; seconds: number }> {
  const corpus = syntheticCorpus(7);
  const withModel: Services = { ...services, embedder: model };
  const started = performance.now();
  let chunks = 0;
  for (let article = 0; article < INGEST_ARTICLES; article++) {
    const text = Array.from({ length: 12 }, () => `${corpus.chunk().text}.`).join(' ');
    chunks += (await run<{ chunks: number }>(withModel, caller, 'ingest_knowledge', { title: `Article ${article}`, text })).chunks;
  }
  await embedPending(withModel, caller.tenant.id);
  return { chunks, seconds: (performance.now() - started) / 1000 };
}

/** The section, with the embedding model it measures ingestion and query embedding with. */
export function vectorSearchSection(loadModel: () => Promise<Embedder | undefined>): Section {
  return {
    title: 'Vector search',
    about:
      `Search through the service function \`searchText\` (query embedding included), in-process, on one tenant's synthetic chunks: ` +
      `${count(SIZES[0])} then ${count(SIZES[1])} chunks of 40 words in ${CLUSTERS} clusters (clustered normalized vectors, topic words in the text), ` +
      `inserted in batches with the HNSW index built afterwards. ${QUERIES} queries after ${WARM_UP} of warm-up, hybrid (full-text and HNSW fused by RRF) and vector-only. ` +
      `Recall@10: ${RECALL_QUERIES} vector-only searches against an exact scan (index off) on the same data. ` +
      `Ingestion: ${INGEST_ARTICLES} articles through \`ingest_knowledge\` (chunking, storing) and the embedding of their chunks, with the production embedder (PRM_EMBEDDING_MODEL_PATH). ` +
      'The server has no pgvector here, so the section runs on the embedded database only.',
    async run(database, progress) {
      const opened = await openInProcess(database);
      try {
        const { services } = opened;
        if (!(await vectorStorage(services.orm.em.fork()))) return { rows: [], notes: ['no pgvector in this database: nothing measured (lexical-only).'] };
        const model = await loadModel();
        const caller = await benchTenant(services, 'Bench vector clinic');
        const corpus = syntheticCorpus(42);
        const queries = Array.from({ length: QUERIES }, (_, number) => corpus.query(number));
        const searching: Services = { ...services, embedder: benchQueryEmbedder(model, new Map(queries.map((query) => [query.text, query.vector]))) };
        const context = (): AppContext => createContext(searching, caller, tenantEntityManager(searching, caller.tenant.id));
        const rows: Row[] = [{ label: 'Embedding model', value: model ? model.status().model : 'none available: query embedding not timed, ingestion not measured' }];
        const goals: Goal[] = [];
        let stored = 0;
        let queryIndex = 0;
        const nextQuery = () => queries[queryIndex++ % queries.length];

        for (const size of SIZES) {
          progress(`vector search: inserting ${count(size - stored)} chunks`);
          const em = services.orm.em.fork();
          await em.execute(`drop index if exists text_chunk_embedding_idx`, [], 'run');
          await insertSynthetic(services, caller.tenant.id, corpus, size - stored);
          stored = size;
          const building = performance.now();
          await em.execute(HNSW_INDEX, [], 'run');
          await em.execute(`analyze text_chunk`, [], 'run');
          rows.push({ label: `${count(size)} chunks: HNSW index build`, value: ms(performance.now() - building) });

          progress(`vector search: ${QUERIES} hybrid and vector-only searches at ${count(size)} chunks`);
          const hybrid = await measure(() => searchText(context(), { query: nextQuery().text, limit: 10 }));
          const vectorOnly = await measure(() => searchText(context(), { query: nextQuery().text, limit: 10, mode: 'vector' }));
          let found = 0;
          for (let index = 0; index < RECALL_QUERIES; index++) {
            const query = queries[index];
            const approximate = await searchText(context(), { query: query.text, limit: 10, mode: 'vector' });
            const exact = new Set(await exactNearest(services, caller.tenant.id, query.vector));
            found += approximate.results.filter((result) => exact.has(result.source.id)).length;
          }
          const recall = found / (RECALL_QUERIES * 10);
          rows.push(
            { label: `${count(size)} chunks: hybrid search p50 / p95`, value: `${ms(hybrid.p50)} / ${ms(hybrid.p95)}` },
            { label: `${count(size)} chunks: vector-only search p50 / p95`, value: `${ms(vectorOnly.p50)} / ${ms(vectorOnly.p95)}` },
            { label: `${count(size)} chunks: recall@10 of HNSW vs exact scan`, value: recall.toFixed(3) },
          );
          const target = size <= 10_000 ? GOALS.p95At10k : GOALS.p95At100k;
          goals.push(
            { goal: `Hybrid search p95 at ${count(size)} chunks`, target: `< ${target} ms`, measured: ms(hybrid.p95), met: hybrid.p95 < target },
            { goal: `Recall@10 at ${count(size)} chunks`, target: `≥ ${GOALS.recall}`, measured: recall.toFixed(3), met: recall >= GOALS.recall },
          );
        }

        if (model) {
          progress('vector search: ingestion rate');
          const ingested = await ingestionRate(services, caller, model);
          const perSecond = ingested.chunks / ingested.seconds;
          rows.push({ label: `Ingestion: ${count(ingested.chunks)} chunks, chunked, stored and embedded`, value: rate(perSecond) });
          goals.push({ goal: 'Ingestion rate (8-bit model)', target: `≥ ${GOALS.ingestion} chunks/s`, measured: rate(perSecond), met: perSecond >= GOALS.ingestion });
        }
        return { rows, goals, notes: model ? [] : ['no embedding model could be loaded (set PRM_EMBEDDING_MODEL_PATH): search times exclude the query embedding, ingestion was not measured.'] };
      } finally {
        await opened.close();
      }
    },
  };
}

/** The production embedder from the environment; undefined when no model loads. */
export const vectorSearch = vectorSearchSection(async () => {
  const embedder = createEmbedder(loadConfig(), createLogger({ level: 'silent' }));
  return (await embedder.ready()) ? embedder : undefined;
});
