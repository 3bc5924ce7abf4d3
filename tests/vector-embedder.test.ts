import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { EMBEDDING_DIMENSIONS, EmbeddingUnavailable, type Embedder } from '../src/modules/vector/embedder.js';
import { fetchWithAnswerTimeout } from '../src/modules/vector/hub-fetch.js';
import { createEmbedder } from '../src/modules/vector/local-embedder.js';
import { estimateTokens } from '../src/modules/vector/tokens.js';
import { buildTestEmbeddingModel, TEST_MODEL_ID, testEmbedder } from './support/embedding-model.js';

const TEXTS = [
  'I need to reschedule my dental cleaning to Tuesday morning.',
  'Can I pay my invoice by phone?',
  'The patient reports tooth pain after the last treatment, and asks whether the prescription should be changed before the follow up visit next week.',
  'hello',
  'Do you accept my insurance?',
  'Cancel the appointment, please.',
  'What time does the clinic open on Saturday?',
  'My email address changed.',
  'Thanks!',
  'Is the doctor available this afternoon for a short exam?',
];

const norm = (vector: Float32Array) => Math.hypot(...vector);
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, index) => sum + value * b[index], 0);
const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((max, value, index) => Math.max(max, Math.abs(value - b[index])), 0);

/** A logger whose lines the test reads. */
function capturedLog() {
  const lines: { level: number; msg: string; reason?: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines, at: (level: 'warn' | 'info') => lines.filter((line) => line.level === pino.levels.values[level]) };
}

function localEmbedder(modelPath: string, log = capturedLog().log, environment: Record<string, string> = {}): Embedder {
  return createEmbedder(loadConfig({ PRM_EMBEDDING_MODEL: TEST_MODEL_ID, PRM_EMBEDDING_MODEL_PATH: modelPath, ...environment }), log);
}

describe('the embedder on a MiniLM-shaped model (random weights, built for the test)', () => {
  let q8: Embedder;
  let fp32: Embedder;
  beforeAll(async () => {
    q8 = await testEmbedder({ PRM_EMBEDDING_BATCH: '4' });
    fp32 = await testEmbedder({ PRM_EMBEDDING_DTYPE: 'fp32', PRM_EMBEDDING_BATCH: '4' });
  }, 120_000);

  it('is ready and says what it runs', () => {
    expect(q8.status()).toEqual({ state: 'ready', model: TEST_MODEL_ID, source: 'local', dimensions: EMBEDDING_DIMENSIONS });
  });

  it('gives one L2-normalized vector of 384 dimensions per text, in order', async () => {
    for (const embedder of [q8, fp32]) {
      const vectors = await embedder.embed(TEXTS);
      expect(vectors).toHaveLength(TEXTS.length);
      for (const vector of vectors) {
        expect(vector).toBeInstanceOf(Float32Array);
        expect(vector).toHaveLength(384);
        expect(norm(vector)).toBeCloseTo(1, 4);
      }
    }
    expect(await q8.embed([])).toEqual([]);
  });

  it('gives the same vectors batched as one at a time, with more texts than a batch', async () => {
    // fp32 agrees to float precision; the 8-bit model quantizes each batch's activations with one
    // scale, so a text's vector moves slightly with its batch companions: how much depends on the
    // CPU's int8 kernels (0.9865 at worst on an AVX2-only EPYC, closer with AVX-512), while two
    // different texts stay below 0.75 here.
    const batched = { fp32: await fp32.embed(TEXTS), q8: await q8.embed(TEXTS) };
    for (const [index, text] of TEXTS.entries()) {
      const [single32] = await fp32.embed([text]);
      const [single8] = await q8.embed([text]);
      expect(maxDifference(batched.fp32[index], single32)).toBeLessThan(1e-4);
      expect(cosine(batched.q8[index], single8)).toBeGreaterThan(0.98);
    }
  });

  it('gives the same text the same vector and different texts different ones', async () => {
    const [first, again, other] = await q8.embed([TEXTS[0], TEXTS[0], TEXTS[1]]);
    expect(maxDifference(first, again)).toBe(0);
    expect(maxDifference(first, other)).toBeGreaterThan(0.01);
    expect(cosine(first, other)).toBeLessThan(0.9);
    // Alone, in a batch of its own: as close as batching allows (see above), far from another text.
    const [later] = await q8.embed([TEXTS[0]]);
    expect(cosine(first, later)).toBeGreaterThan(0.99);
  });

  it('counts tokens with the model tokenizer, without special tokens', async () => {
    expect(await q8.countTokens('Hello, patient')).toBe(3);
    expect(await q8.countTokens('')).toBe(0);
    // A word the vocabulary lacks is split into word pieces; the estimate counts it as one.
    expect(estimateTokens('xylophonist')).toBe(1);
    expect(await q8.countTokens('xylophonist')).toBeGreaterThan(1);
  });
});

describe('the embedder without a model', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await mkdtemp(join(tmpdir(), 'prm-no-model-'));
  });
  afterAll(() => rm(empty, { recursive: true, force: true }));

  it('is unavailable with a reason, warns once, throws EmbeddingUnavailable and estimates tokens', async () => {
    const captured = capturedLog();
    const embedder = localEmbedder(join(empty, 'missing'), captured.log);
    expect(embedder.status().state).toBe('loading');
    expect(await embedder.ready()).toBe(false);
    const status = embedder.status();
    expect(status).toMatchObject({ state: 'unavailable', model: TEST_MODEL_ID, source: 'local' });
    expect(status.reason).toContain(join(empty, 'missing'));
    await expect(embedder.embed(['anything'])).rejects.toBeInstanceOf(EmbeddingUnavailable);
    await expect(embedder.embed(['anything'])).rejects.toThrow(/No embedding model is available: could not load/);
    expect(await embedder.countTokens('Hello, world')).toBe(estimateTokens('Hello, world'));
    expect(await embedder.ready({ retry: true })).toBe(false);
    expect(captured.at('warn')).toHaveLength(1);
    expect(captured.at('warn')[0]).toMatchObject({ msg: expect.stringContaining('unavailable'), reason: status.reason });
  });

  it('loads once the model folder appears, when a retry is asked for (the backfill path)', async () => {
    const captured = capturedLog();
    const embedder = localEmbedder(empty, captured.log);
    expect(await embedder.ready()).toBe(false);
    await buildTestEmbeddingModel(empty);
    // Within the cooldown a plain ready() does not try again; a forced retry does.
    expect(await embedder.ready()).toBe(false);
    expect(await embedder.ready({ retry: true })).toBe(true);
    expect(embedder.status()).toMatchObject({ state: 'ready', reason: undefined });
    const [vector] = await embedder.embed(['backfill me']);
    expect(norm(vector)).toBeCloseTo(1, 4);
    expect(captured.at('info').map((line) => line.msg)).toEqual(['embedding model loaded']);
  }, 60_000);

  it('loads once for concurrent first callers', async () => {
    const { modelPath } = await buildTestEmbeddingModel();
    const captured = capturedLog();
    const embedder = localEmbedder(modelPath, captured.log);
    const results = await Promise.all([embedder.ready(), embedder.embed(['one']), embedder.countTokens('one two'), embedder.ready()]);
    expect(results[0]).toBe(true);
    expect(results[3]).toBe(true);
    expect(results[2]).toBe(2);
    expect(captured.at('info')).toHaveLength(1);
  }, 60_000);
});

describe('fetching from the hub', () => {
  it('gives up when the host does not answer in time', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const started = performance.now();
      await expect(fetchWithAnswerTimeout(200)(`http://127.0.0.1:${port}/model/config.json`)).rejects.toThrow(`no answer from 127.0.0.1:${port} within 0.2 s`);
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
