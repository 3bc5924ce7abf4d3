import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import { EMBEDDING_DIMENSIONS, EmbeddingUnavailable, type Embedder, type EmbedderStatus } from './embedder.js';
import { fetchWithAnswerTimeout } from './hub-fetch.js';

/** After a failed load, `ready()` tries again only after this long (sooner with `retry`). */
const RETRY_COOLDOWN_MS = 60_000;
/** How long the hub may take to answer a request before the load counts as failed. */
const HUB_ANSWER_TIMEOUT_MS = 10_000;
/** Words and punctuation marks: close to a WordPiece count for English, used until a tokenizer is loaded. */
export function estimateTokens(text: string): number {
  return text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0;
}

/**
 * The embedder of this process: `@huggingface/transformers` feature extraction with mean pooling and
 * L2 normalization, from the hub (cached by the library) or from `config.embedding.modelPath` with
 * remote loading off. The library is imported and the model loaded on first use, once for all callers.
 */
export function createEmbedder(config: Config, log: Logger): Embedder {
  const { modelId, modelPath, dtype, batchSize } = config.embedding;
  const status: EmbedderStatus = { state: 'loading', model: modelId, source: modelPath ? 'local' : 'hub', dimensions: EMBEDDING_DIMENSIONS };
  let extractor: FeatureExtractionPipeline | undefined;
  let loading: Promise<boolean> | undefined;
  let failedAt: number | undefined;
  let warned = false;

  async function load(): Promise<boolean> {
    const started = performance.now();
    try {
      const loaded = await loadPipeline(config);
      const [probe] = await embedWith(loaded, ['dimension check'], 1);
      const norm = Math.hypot(...probe);
      if (probe.length !== EMBEDDING_DIMENSIONS || Math.abs(norm - 1) > 1e-3) {
        throw new Error(`the model gives vectors of ${probe.length} dimensions and norm ${norm.toFixed(3)}, not normalized ${EMBEDDING_DIMENSIONS}`);
      }
      extractor = loaded;
      Object.assign(status, { state: 'ready', reason: undefined });
      log.info({ model: modelId, source: status.source, dtype, ms: Math.round(performance.now() - started) }, 'embedding model loaded');
      return true;
    } catch (error) {
      failedAt = Date.now();
      const where = modelPath ? `from ${modelPath}` : 'from the hub';
      Object.assign(status, { state: 'unavailable', reason: `could not load ${modelId} ${where}: ${describe(error)}` });
      // One warning; later failed retries are routine until a model appears.
      (warned ? log.debug.bind(log) : log.warn.bind(log))({ model: modelId, source: status.source, reason: status.reason }, 'embedding model unavailable: search runs lexical-only');
      warned = true;
      return false;
    } finally {
      loading = undefined;
    }
  }

  async function ready(options: { retry?: boolean } = {}): Promise<boolean> {
    if (extractor) return true;
    if (loading) return loading;
    const coolingDown = failedAt !== undefined && Date.now() - failedAt < RETRY_COOLDOWN_MS;
    if (coolingDown && !options.retry) return false;
    status.state = 'loading';
    loading = load();
    return loading;
  }

  return {
    status: () => ({ ...status }),
    ready,
    async embed(texts) {
      if (texts.length === 0) return [];
      if (!(await ready()) || !extractor) throw new EmbeddingUnavailable(status.reason ?? 'the model is not loaded');
      return embedWith(extractor, texts, batchSize);
    },
    async countTokens(text) {
      if (!(await ready()) || !extractor) return estimateTokens(text);
      return extractor.tokenizer.encode(text, { add_special_tokens: false }).length;
    },
  };
}

async function loadPipeline(config: Config): Promise<FeatureExtractionPipeline> {
  const { env, pipeline } = await import('@huggingface/transformers');
  const { modelId, modelPath, dtype } = config.embedding;
  // The library's settings are global; a process has one embedder.
  if (modelPath) {
    Object.assign(env, { allowRemoteModels: false, allowLocalModels: true, localModelPath: modelPath });
  } else {
    Object.assign(env, { allowRemoteModels: true, allowLocalModels: false, fetch: fetchWithAnswerTimeout(HUB_ANSWER_TIMEOUT_MS) });
  }
  // The serving processes of `serve` (cluster workers) each have a model: their inference threads share
  // the cores. A process on its own (one serving process, the ingest command) uses them all.
  const cores = availableParallelism();
  const shared = cluster.isWorker ? Math.max(1, Math.floor(cores / config.processes)) : cores;
  const session_options = { intraOpNumThreads: config.embedding.threads ?? shared };
  return pipeline('feature-extraction', modelId, { dtype, device: 'cpu', local_files_only: Boolean(modelPath), session_options });
}

/**
 * Tokens per model call, padding included. Long texts in large batches ran slower per text than in
 * small ones here (the attention's working set outgrows the caches): a call takes up to `batchSize`
 * texts, and fewer when they are long.
 */
const TOKENS_PER_CALL = 1024;

async function embedWith(extractor: FeatureExtractionPipeline, texts: readonly string[], batchSize: number): Promise<Float32Array[]> {
  // Similar lengths together, so that little of a call is padding; results go back in input order.
  const order = texts.map((text, index) => ({ index, tokens: estimateTokens(text) + 2 })).sort((a, b) => a.tokens - b.tokens);
  const vectors = new Array<Float32Array>(texts.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && end - start < batchSize && (end - start + 1) * order[end].tokens <= TOKENS_PER_CALL) end++;
    const batch = order.slice(start, end);
    const output = await extractor(batch.map(({ index }) => texts[index]), { pooling: 'mean', normalize: true });
    const width = output.dims[1];
    const data = output.data as Float32Array;
    batch.forEach(({ index }, row) => (vectors[index] = data.slice(row * width, (row + 1) * width)));
    start = end;
  }
  return vectors;
}

/** An error's message with its cause's (a failed fetch says why only in its cause). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message} (${cause})` : error.message;
}
