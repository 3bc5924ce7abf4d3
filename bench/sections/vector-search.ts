import { availableParallelism } from 'node:os';
import { loadConfig } from '../../src/config.js';
import { createContext, type AppContext, type Caller, type Services } from '../../src/context.js';
import { createLogger } from '../../src/log.js';
import { EMBEDDING_DIMENSIONS, type Embedder } from '../../src/modules/vector/embedder.js';
import { vectorLiteral } from '../../src/modules/vector/embedding.js';
import { ingestArticles } from '../../src/modules/vector/ingest-articles.js';
import { buildTestEmbeddingModel } from '../../tests/support/embedding-model.js';
import { createEmbedder } from '../../src/modules/vector/local-embedder.js';
import { searchText } from '../../src/modules/vector/search.js';
import { HNSW_INDEX, vectorStorage } from '../../src/modules/vector/storage.js';
import { tenantEntityManager } from '../../src/tools/runner.js';
import { benchTenant, openInProcess } from '../in-process.js';
import { SERVING_THREADS } from '../machine.js';
import type { Goal, Row, Section } from '../section.js';
import { count, ms, rate, timeCalls, type Summary } from '../stats.js';

const SIZES = [10_000, 100_000];
const CLUSTERS = 200;
/** Standard deviation of each dimension's noise around a cluster's centre (before normalizing). */
const SPREAD = 0.06;
const QUERIES = 200;
const WARM_UP = 20;
const RECALL_QUERIES = 100;
const INGEST_ARTICLES = 40;
const GOALS = { p95At10k: 20, p95At100k: 50, recall: 0.95, ingestion: 200, ingestionOfModel: 0.85 };

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
 * (uniformly random vectors would make HNSW recall meaningless). The centres are made here; the
 * chunks are made by the database itself (`insertSynthetic`): formatting and parsing 100,000 vector
 * literals through the protocol took minutes.
 */
function syntheticQueries(seed: number) {
  const rng = random(seed);
  const centres = Array.from({ length: CLUSTERS }, () => normalized(Float32Array.from({ length: EMBEDDING_DIMENSIONS }, rng.normal)));
  const pick = (limit: number) => Math.floor(rng.uniform() * limit);
  return {
    centres,
    /** The number makes each query's text unique: it names its vector. */
    query: (number: number) => {
      const cluster = pick(CLUSTERS);
      const vector = normalized(Float32Array.from(centres[cluster], (value) => value + rng.normal() * SPREAD));
      return { text: `topic${cluster}w${pick(12)} topic${cluster}w${pick(12)} word${pick(500)} q${number}`, vector };
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
    close: async () => {},
  };
}

async function storeCentres(services: Services, centres: Float32Array[]): Promise<void> {
  const em = services.orm.em.fork();
  await em.execute(`create table if not exists bench_vector_centre (cluster integer primary key, centre vector(${EMBEDDING_DIMENSIONS}))`, [], 'run');
  await em.execute(`truncate bench_vector_centre`, [], 'run');
  await em.execute(
    `insert into bench_vector_centre (cluster, centre) values ${centres.map(() => '(?, ?::vector)').join(', ')}`,
    centres.flatMap((centre, cluster) => [cluster, vectorLiteral(centre)]),
    'run',
  );
}

/** `rows` chunks made by the database: 8 topic words of the chunk's cluster and 32 common words; centre plus noise. */
async function insertSynthetic(services: Services, tenantId: string, rows: number): Promise<void> {
  const em = services.orm.em.fork();
  for (let start = 0; start < rows; start += 10_000) {
    // `where g > 0` ties each subquery to its row, so it runs once per row rather than once in all.
    await em.execute(
      `with made as (select gen_random_uuid() as id, g, c.cluster, c.centre from generate_series(1, ?) g join bench_vector_centre c on c.cluster = (g + ?) % ${CLUSTERS}),
       chunk as (
       insert into text_chunk (id, tenant_id, source_type, source_id, chunk_index, text, token_count, source_at, created_at, updated_at)
       select c.id, ?, 'knowledge', gen_random_uuid(), 0,
              array_to_string(array(select 'topic' || c.cluster || 'w' || floor(random() * 12)::int from generate_series(1, 8) where g > 0)
                || array(select 'word' || floor(random() * 500)::int from generate_series(1, 32) where g > 0), ' '),
              40, now(), now(), now()
         from made c)
       insert into text_chunk_vector (chunk_id, tenant_id, embedding)
       select made.id, ?, l2_normalize(made.centre + array(select random_normal(0, ?) from generate_series(1, ${EMBEDDING_DIMENSIONS}) where g > 0)::vector) from made`,
      [Math.min(10_000, rows - start), start, tenantId, tenantId, SPREAD],
      'run',
    );
  }
}

/** The HNSW index, built after the bulk insert (far faster than keeping it up to date row by row). */
async function buildIndex(services: Services): Promise<number> {
  const started = performance.now();
  await services.orm.em.fork().transactional(async (transaction) => {
    await transaction.execute(`set local maintenance_work_mem = '512MB'`, [], 'run');
    await transaction.execute(HNSW_INDEX, [], 'run');
    await transaction.execute(`analyze text_chunk, text_chunk_vector`, [], 'run');
  });
  return performance.now() - started;
}

async function exactNearest(services: Services, tenantId: string, vector: Float32Array): Promise<string[]> {
  return services.orm.em.fork().transactional(async (transaction) => {
    await transaction.execute(`set local enable_indexscan = off`, [], 'run');
    const rows = await transaction.execute<{ source_id: string }[]>(
      `select c.source_id from text_chunk_vector v join text_chunk c on c.id = v.chunk_id where v.tenant_id = ? and v.embedding is not null order by v.embedding <=> ?::vector limit 10`,
      [tenantId, vectorLiteral(vector)],
    );
    return rows.map((row) => row.source_id);
  });
}

const measure = (call: () => Promise<unknown>): Promise<Summary> => timeCalls(call, { runs: QUERIES, warmUp: WARM_UP });

/**
 * Ingestion as `npm run ingest` does it (ingestArticles: `ingest_knowledge`, then the embedding of the
 * chunks), and the same model alone on the same chunks' texts (read back), batched as embedPending
 * batches them: what the pipeline's rate is compared with. The model is warmed up first.
 */
type Ingestion = { chunks: number; seconds: number; modelAloneSeconds: number; storingAloneSeconds: number };

/**
 * The articles ingested as `npm run ingest` does; then the model alone on the same chunks' texts, in
 * the same batches; then storing alone: the same articles again under other titles, with the
 * vectors the model made handed out at once (chunking, storing and writing vectors, no model).
 */
async function ingestionRate(services: Services, caller: Caller, model: Embedder): Promise<Ingestion> {
  const rng = random(7);
  const sentence = () => Array.from({ length: 20 }, () => `word${Math.floor(rng.uniform() * 500)}`).join(' ');
  const articles = Array.from({ length: INGEST_ARTICLES }, (_, index) => ({ name: `article-${index}`, title: `Article ${index}`, text: Array.from({ length: 24 }, () => `${sentence()}.`).join(' ') }));
  await model.embed(articles.slice(0, 8).map((article) => article.text.slice(0, 600)));
  const ingest = async (embedder: Embedder, batch: typeof articles): Promise<{ chunks: number; seconds: number }> => {
    const started = performance.now();
    let chunks = 0;
    await ingestArticles({ ...services, embedder }, caller, batch, (outcome) => {
      if (!outcome.ok) throw new Error(`ingesting ${outcome.name} failed: ${outcome.error.message}`);
      chunks += outcome.ingested.chunks;
    });
    return { chunks, seconds: (performance.now() - started) / 1000 };
  };
  const { chunks, seconds } = await ingest(model, articles);
  const texts = (
    await services.orm.em.fork().execute<{ text: string }[]>(
      `select c.text from text_chunk c join knowledge_source k on k.id = c.source_id where c.tenant_id = ? and k.title like 'Article %' order by c.created_at, c.id`,
      [caller.tenant.id],
    )
  ).map((row) => row.text);
  if (texts.length !== chunks) throw new Error(`ingestion stored ${chunks} chunks, ${texts.length} found`);
  const batch = services.config.embedding.batchSize * 4;
  const alone = performance.now();
  const vectors: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += batch) vectors.push(...(await model.embed(texts.slice(start, start + batch))));
  const modelAloneSeconds = (performance.now() - alone) / 1000;
  const storing = await ingest(
    replayingEmbedder(model, vectors),
    articles.map((article) => ({ ...article, name: `stored-${article.name}`, title: `Stored ${article.title}` })),
  );
  return { chunks, seconds, modelAloneSeconds, storingAloneSeconds: (storing.seconds * chunks) / storing.chunks };
}

/** The model's tokenizer and status, and vectors it made before handed out at once, in turn. */
function replayingEmbedder(model: Embedder, vectors: readonly Float32Array[]): Embedder {
  let next = 0;
  return {
    status: () => model.status(),
    ready: (options) => model.ready(options),
    countTokens: (text) => model.countTokens(text),
    embed: async (texts) => texts.map(() => vectors[next++ % vectors.length]),
    close: async () => {},
  };
}

/**
 * The most ingestion can reach beside the model alone when both share the machine's cores: the model
 * alone keeps every core busy (`cores` ÷ its rate of CPU per chunk), storing runs on the main thread
 * (1 ÷ its rate per chunk); with perfect overlap the two together take the sum from the same cores.
 */
export const ingestionCeiling = (modelAlone: number, storingAlone: number, cores: number): number => 1 / (1 + modelAlone / (cores * storingAlone));

/** The section, with the embedding model (given its threads) it measures ingestion and query embedding with. */
export function vectorSearchSection(loadModel: (threads: number) => Promise<Embedder | undefined>): Section {
  return {
    title: 'Vector search',
    about:
      `Search through the service function \`searchText\` (query embedding included), in-process, on one tenant's synthetic chunks: ` +
      `${count(SIZES[0])} then ${count(SIZES[1])} chunks of 40 words in ${CLUSTERS} clusters (clustered normalized vectors, topic words in the text), ` +
      `inserted in batches with the HNSW index built afterwards. ${QUERIES} queries after ${WARM_UP} of warm-up, hybrid (full-text and HNSW fused by RRF) and vector-only. ` +
      `Recall@10: ${RECALL_QUERIES} vector-only searches against an exact scan (index off) on the same data. ` +
      `Ingestion: ${INGEST_ARTICLES} articles through \`ingest_knowledge\` (chunking, storing) and the embedding of their chunks, with the production embedder (PRM_EMBEDDING_MODEL_PATH) on every core, as \`npm run ingest\` runs, into the 100,000 chunks and their HNSW index; then the same model alone on the same chunks' texts, in the same batches; queries are embedded with ${SERVING_THREADS} thread(s), as a serving process does. ` +
      'The server has no pgvector here, so the section runs on the embedded database only.',
    async run(database, progress) {
      const opened = await openInProcess(database);
      try {
        const { services } = opened;
        if (!(await vectorStorage(services.orm.em.fork()))) return { rows: [], notes: ['no pgvector in this database: nothing measured (lexical-only).'] };
        // Queries as a serving process of `serve` embeds them; ingestion as `npm run ingest`, with every core.
        const model = await loadModel(SERVING_THREADS);
        const caller = await benchTenant(services, 'Bench vector clinic');
        const synthetic = syntheticQueries(42);
        await storeCentres(services, synthetic.centres);
        const queries = Array.from({ length: QUERIES }, (_, number) => synthetic.query(number));
        const searching: Services = { ...services, embedder: benchQueryEmbedder(model, new Map(queries.map((query) => [query.text, query.vector]))) };
        const context = (): AppContext => createContext(searching, caller, tenantEntityManager(searching, caller.tenant.id));
        const rows: Row[] = [{ label: 'Embedding model', value: model ? model.status().model : 'none available: query embedding not timed, ingestion not measured' }];
        const goals: Goal[] = [];
        let stored = 0;
        let queryIndex = 0;
        const nextQuery = () => queries[queryIndex++ % queries.length];

        for (const size of SIZES) {
          progress(`vector search: inserting ${count(size - stored)} chunks`);
          await services.orm.em.fork().execute(`drop index if exists text_chunk_vector_embedding_idx`, [], 'run');
          const inserting = performance.now();
          await insertSynthetic(services, caller.tenant.id, size - stored);
          stored = size;
          rows.push({ label: `${count(size)} chunks: generating and inserting the new chunks`, value: ms(performance.now() - inserting) });
          rows.push({ label: `${count(size)} chunks: HNSW index build`, value: ms(await buildIndex(services)) });

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

        await services.orm.em.fork().execute(`drop table bench_vector_centre`, [], 'run');

        if (model) {
          progress('vector search: ingestion rate');
          const ingested = await ingestionRate(services, caller, (await loadModel(availableParallelism())) ?? model);
          const perSecond = ingested.chunks / ingested.seconds;
          const modelAlone = ingested.chunks / ingested.modelAloneSeconds;
          const storingAlone = ingested.chunks / ingested.storingAloneSeconds;
          const cores = availableParallelism();
          const ceiling = ingestionCeiling(modelAlone, storingAlone, cores);
          const why = `storing alone takes ${ms(1000 / storingAlone)} of one core per chunk beside the model's ${ms((1000 * cores) / modelAlone)} of ${cores} cores, so ${cores} cores allow at most ${ceiling.toFixed(2)} × the model alone`;
          rows.push(
            { label: `Ingestion: ${count(ingested.chunks)} chunks, chunked, stored and embedded`, value: rate(perSecond) },
            { label: `The model alone on the same ${count(ingested.chunks)} chunks' texts`, value: rate(modelAlone) },
            { label: 'Storing alone: the same articles again, their vectors ready (chunking, storing, writing the vectors)', value: rate(storingAlone) },
            { label: `The most ${cores} cores allow beside the model alone, with perfect overlap`, value: `${ceiling.toFixed(2)} × (${rate(modelAlone * ceiling)})` },
          );
          goals.push(
            { goal: 'Ingestion rate (8-bit model)', target: `≥ ${GOALS.ingestion} chunks/s`, measured: rate(perSecond), met: perSecond >= GOALS.ingestion, why: `the model alone makes ${rate(modelAlone)} on ${cores} cores` },
            { goal: 'Ingestion rate / the model alone on the same texts', target: `≥ ${GOALS.ingestionOfModel}`, measured: (perSecond / modelAlone).toFixed(2), met: perSecond / modelAlone >= GOALS.ingestionOfModel, why },
          );
        }
        return { rows, goals, notes: model ? [] : ['no embedding model could be loaded (set PRM_EMBEDDING_MODEL_PATH): search times exclude the query embedding, ingestion was not measured.'] };
      } finally {
        await opened.close();
      }
    },
  };
}

/**
 * The production embedder on the test model of the real MiniLM shape, 8-bit (as the embedding section
 * measures it): the hub is out of reach here, and random weights cost what trained ones do.
 */
export const vectorSearch = vectorSearchSection(async (threads) => {
  const { modelPath, modelId } = await buildTestEmbeddingModel();
  const config = loadConfig({ PRM_EMBEDDING_MODEL: modelId, PRM_EMBEDDING_MODEL_PATH: modelPath, PRM_EMBEDDING_THREADS: String(threads) });
  const embedder = createEmbedder(config, createLogger({ level: 'silent' }));
  return (await embedder.ready()) ? embedder : undefined;
});
