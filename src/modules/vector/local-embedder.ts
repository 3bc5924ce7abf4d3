import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { Piscina } from 'piscina';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import { EMBEDDING_DIMENSIONS, EmbeddingUnavailable, type Embedder, type EmbedderStatus } from './embedder.js';
import { configureLibrary, type ModelSettings, type ModelTask } from './model-thread.js';
import { estimateTokens } from './tokens.js';

/** After a failed load, `ready()` tries again only after this long (sooner with `retry`). */
const RETRY_COOLDOWN_MS = 60_000;

/**
 * The embedder of this process: `@huggingface/transformers` feature extraction with mean pooling and
 * L2 normalization, from the hub (cached by the library) or from `config.embedding.modelPath` with
 * remote loading off. The model runs on a thread of its own (see model-thread.ts), loaded on first
 * use, once for all callers; the tokenizer the chunker counts with stays on this thread (it is asked
 * for every sentence, and must not wait behind a model call).
 */
export function createEmbedder(config: Config, log: Logger): Embedder {
  const { modelId, modelPath, dtype, batchSize } = config.embedding;
  const status: EmbedderStatus = { state: 'loading', model: modelId, source: modelPath ? 'local' : 'hub', dimensions: EMBEDDING_DIMENSIONS };
  const settings: ModelSettings = { modelId, modelPath, dtype, batchSize, threads: inferenceThreads(config) };
  let model: Piscina<ModelTask, Float32Array[]> | undefined;
  let tokenizer: PreTrainedTokenizer | undefined;
  let loading: Promise<boolean> | undefined;
  let failedAt: number | undefined;
  let warned = false;

  async function load(): Promise<boolean> {
    const started = performance.now();
    try {
      model ??= new Piscina<ModelTask, Float32Array[]>({ filename: new URL('./model-thread.mjs', import.meta.url).href, workerData: settings, minThreads: 1, maxThreads: 1, idleTimeout: Infinity });
      await model.run({ kind: 'load' });
      const [probe] = await model.run({ kind: 'embed', texts: ['dimension check'] });
      const norm = Math.hypot(...probe);
      if (probe.length !== EMBEDDING_DIMENSIONS || Math.abs(norm - 1) > 1e-3) {
        throw new Error(`the model gives vectors of ${probe.length} dimensions and norm ${norm.toFixed(3)}, not normalized ${EMBEDDING_DIMENSIONS}`);
      }
      const { AutoTokenizer } = await configureLibrary(settings);
      tokenizer = await AutoTokenizer.from_pretrained(modelId, { local_files_only: Boolean(modelPath) });
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
    if (tokenizer) return true;
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
      if (!(await ready()) || !model) throw new EmbeddingUnavailable(status.reason ?? 'the model is not loaded');
      return model.run({ kind: 'embed', texts });
    },
    async countTokens(text) {
      if (!(await ready()) || !tokenizer) return estimateTokens(text);
      return tokenizer.encode(text, { add_special_tokens: false }).length;
    },
    async close() {
      await model?.destroy();
      model = undefined;
    },
  };
}

/**
 * The model's inference threads. The serving processes of `serve` (cluster workers) each have a model:
 * their threads share the cores. A process on its own (one serving process, the ingest command) uses them all.
 */
function inferenceThreads(config: Config): number {
  const cores = availableParallelism();
  return config.embedding.threads ?? (cluster.isWorker ? Math.max(1, Math.floor(cores / config.processes)) : cores);
}

/** An error's message with its cause's (a failed fetch says why only in its cause). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !error.message.includes(cause) ? `${error.message} (${cause})` : error.message;
}
