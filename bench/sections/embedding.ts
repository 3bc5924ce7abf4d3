import { availableParallelism } from 'node:os';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { Embedder } from '../../src/modules/vector/embedder.js';
import { createEmbedder } from '../../src/modules/vector/local-embedder.js';
import { buildTestEmbeddingModel } from '../../tests/support/embedding-model.js';
import { seededRandom } from '../dataset.js';
import { SERVING_THREADS } from '../machine.js';
import type { Row, Section } from '../section.js';
import { ms, percentile, ascending, rate } from '../stats.js';

const BATCH = 32;
const SMALL_BATCH = 8;
const CHUNK_TOKENS = 128;
const MESSAGE_TOKENS = 20;
/** Texts per measurement: batched runs embed them in batches of `BATCH`, single runs one call each. */
const COUNTS = { chunks: { batched: 96, single: 32 }, messages: { batched: 256, single: 64 } };

const WORDS = (
  'patient clinic appointment doctor nurse visit pain tooth teeth cleaning exam reschedule cancel booking insurance payment invoice ' +
  'morning afternoon evening tomorrow week month phone email address treatment therapy prescription medication allergy consent form ' +
  'record follow question answer available hour minute the of and to in is you that it for on are with at be this have from ' +
  'orthodontist hygienist x-ray crown filling extraction implant referral copay deductible pharmacy symptoms swelling sensitivity'
).split(' ');

export const embedding: Section = {
  title: 'Embedding',
  databaseFree: true,
  about:
    'The production embedder (`createEmbedder`, `@huggingface/transformers` feature extraction, mean pooling, normalized) on a model built for the bench with ' +
    'the real all-MiniLM-L6-v2 shape (6 layers, hidden 384, 12 heads, intermediate 1536; random weights, generated WordPiece vocabulary), 8-bit ' +
    '(dynamically quantized: MatMulInteger on int8 weights) unless a row says fp32. ' +
    `Texts of ~${CHUNK_TOKENS} tokens (a chunk) and ~${MESSAGE_TOKENS} tokens (a message), counted by the model's tokenizer; ` +
    `batched = \`embed()\` of many texts in batches of ${BATCH}, single = one \`embed([text])\` call per text. ` +
    `Threads: one onnxruntime intra-op thread per core divided by \`PRM_PROCESSES\` (${SERVING_THREADS} here), as each serving process of \`serve\` has; the last rows give the model all ${availableParallelism()} cores, as the ingest command has. Needs no database: measured once.`,
  async run(_database, progress) {
    progress('building the MiniLM-shaped test model');
    const started = performance.now();
    const model = await buildTestEmbeddingModel();
    const built = performance.now() - started;
    const serving = await loadedEmbedder(model, { PRM_EMBEDDING_THREADS: String(SERVING_THREADS) });
    const chunks = await sizedTexts(serving.embedder, CHUNK_TOKENS, COUNTS.chunks.batched, 1);
    const messages = await sizedTexts(serving.embedder, MESSAGE_TOKENS, COUNTS.messages.batched, 2);

    const rows: Row[] = [
      { label: 'Test model built (or found cached) / loaded by the first ready(), q8', value: `${ms(built)} / ${ms(serving.loadMs)}` },
      { label: 'Tokens per text (model tokenizer): chunks / messages', value: `${await meanTokens(serving.embedder, chunks)} / ${await meanTokens(serving.embedder, messages)}` },
    ];
    const measureAll = async (name: string, embedder: Embedder) => {
      progress(`${name}: chunks and messages, batched and single`);
      for (const [kind, texts, counts] of [['chunks', chunks, COUNTS.chunks], ['messages', messages, COUNTS.messages]] as const) {
        const tokens = kind === 'chunks' ? CHUNK_TOKENS : MESSAGE_TOKENS;
        const batched = await throughput(embedder, texts.slice(0, counts.batched), BATCH);
        const single = await throughput(embedder, texts.slice(0, counts.single), 1);
        rows.push(
          { label: `${name}, ~${tokens}-token ${kind}, batch ${BATCH}: texts/s`, value: rate(batched.perSecond) },
          { label: `${name}, ~${tokens}-token ${kind}, one at a time: texts/s (p50 / p95 per call)`, value: `${rate(single.perSecond)} (${ms(single.p50)} / ${ms(single.p95)})` },
        );
      }
    };
    await measureAll('q8', serving.embedder);
    // Long texts in large batches ran slower per text here than in small ones: the row shows by how much.
    const smallBatches = await loadedEmbedder(model, { PRM_EMBEDDING_BATCH: String(SMALL_BATCH), PRM_EMBEDDING_THREADS: String(SERVING_THREADS) });
    rows.push({ label: `q8, ~${CHUNK_TOKENS}-token chunks, batch ${SMALL_BATCH}: texts/s`, value: rate((await throughput(smallBatches.embedder, chunks.slice(0, COUNTS.chunks.batched), SMALL_BATCH)).perSecond) });
    const fp32 = await loadedEmbedder(model, { PRM_EMBEDDING_DTYPE: 'fp32', PRM_EMBEDDING_THREADS: String(SERVING_THREADS) });
    progress('fp32: chunks batched');
    rows.push({ label: `fp32, ~${CHUNK_TOKENS}-token chunks, batch ${BATCH}: texts/s`, value: rate((await throughput(fp32.embedder, chunks, BATCH)).perSecond) });
    const allCores = await loadedEmbedder(model, { PRM_EMBEDDING_THREADS: String(availableParallelism()) });
    await measureAll(`q8 with ${availableParallelism()} threads (one process)`, allCores.embedder);
    rows.push({ label: 'Process RSS after the runs (four models loaded)', value: `${Math.round(process.memoryUsage().rss / 2 ** 20)} MB` });
    return { rows };
  },
};

async function loadedEmbedder(model: { modelPath: string; modelId: string }, environment: Record<string, string>) {
  const config = loadConfig({ PRM_EMBEDDING_MODEL: model.modelId, PRM_EMBEDDING_MODEL_PATH: model.modelPath, PRM_EMBEDDING_BATCH: String(BATCH), ...environment });
  const embedder = createEmbedder(config, createLogger({ level: 'silent' }));
  const started = performance.now();
  if (!(await embedder.ready())) throw new Error(`the test model did not load: ${embedder.status().reason}`);
  return { embedder, loadMs: performance.now() - started };
}

/** Texts of clinic words, each cut at the first word that brings it to `tokens` tokens or more. */
async function sizedTexts(embedder: Embedder, tokens: number, count: number, seed: number): Promise<string[]> {
  const random = seededRandom(seed);
  const texts: string[] = [];
  while (texts.length < count) {
    const words: string[] = [];
    while ((await embedder.countTokens(words.join(' '))) < tokens) words.push(WORDS[Math.floor(random() * WORDS.length)]);
    texts.push(`${words.join(' ')}.`);
  }
  return texts;
}

async function meanTokens(embedder: Embedder, texts: string[]): Promise<string> {
  const counts = await Promise.all(texts.map((text) => embedder.countTokens(text)));
  return (counts.reduce((a, b) => a + b, 0) / counts.length).toFixed(1);
}

/** Texts per second over all of `texts`, after one warm-up call; per-call latencies for single calls. */
async function throughput(embedder: Embedder, texts: string[], perCall: number) {
  await embedder.embed(texts.slice(0, perCall));
  const calls: number[] = [];
  const started = performance.now();
  for (let start = 0; start < texts.length; start += perCall) {
    const callStarted = performance.now();
    await embedder.embed(texts.slice(start, start + perCall));
    calls.push(performance.now() - callStarted);
  }
  const sorted = ascending(calls);
  return { perSecond: texts.length / ((performance.now() - started) / 1000), p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
}
