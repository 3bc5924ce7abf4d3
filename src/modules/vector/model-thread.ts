import { workerData } from 'node:worker_threads';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import { fetchWithAnswerTimeout } from './hub-fetch.js';
import { estimateTokens } from './tokens.js';

/**
 * The embedding model runs on a thread of its own (a piscina pool of one, see local-embedder.ts):
 * onnxruntime-node runs a session on the thread that calls it, synchronously, so on the main thread
 * every model call stopped the event loop (requests, the database, ingestion's storing) for its length.
 */
export type ModelSettings = {
  modelId: string;
  modelPath?: string;
  dtype: 'q8' | 'fp32';
  batchSize: number;
  /** onnxruntime's intra-op threads (this thread is one of them). */
  threads: number;
};
export type ModelTask = { kind: 'load' } | { kind: 'embed'; texts: readonly string[] };

/** How long the hub may take to answer a request before the load counts as failed. */
const HUB_ANSWER_TIMEOUT_MS = 10_000;

/** Where `@huggingface/transformers` loads from: the local folder only, or the hub (cached by the library). Its settings are global to a thread. */
export async function configureLibrary(settings: Pick<ModelSettings, 'modelPath'>): Promise<typeof import('@huggingface/transformers')> {
  const library = await import('@huggingface/transformers');
  if (settings.modelPath) {
    Object.assign(library.env, { allowRemoteModels: false, allowLocalModels: true, localModelPath: settings.modelPath });
  } else {
    Object.assign(library.env, { allowRemoteModels: true, allowLocalModels: false, fetch: fetchWithAnswerTimeout(HUB_ANSWER_TIMEOUT_MS) });
  }
  return library;
}

let extractor: Promise<FeatureExtractionPipeline> | undefined;

/** The thread's one task: loads the model on first use (again after a failed load), then embeds. */
export async function runModelTask(task: ModelTask): Promise<Float32Array[]> {
  const settings = workerData as ModelSettings;
  if (!extractor) {
    extractor = loadPipeline(settings);
    extractor.catch(() => (extractor = undefined));
  }
  const loaded = await extractor;
  return task.kind === 'load' ? [] : embedWith(loaded, task.texts, settings.batchSize);
}

async function loadPipeline(settings: ModelSettings): Promise<FeatureExtractionPipeline> {
  const { pipeline } = await configureLibrary(settings);
  const session_options = { intraOpNumThreads: settings.threads };
  return pipeline('feature-extraction', settings.modelId, { dtype: settings.dtype, device: 'cpu', local_files_only: Boolean(settings.modelPath), session_options });
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
