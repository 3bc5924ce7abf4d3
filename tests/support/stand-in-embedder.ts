import { EMBEDDING_DIMENSIONS, type Embedder, type EmbedderStatus } from '../../src/modules/vector/embedder.js';
import { estimateTokens } from '../../src/modules/vector/local-embedder.js';

/**
 * A deterministic embedder for tests until the real model's test build is merged: each word (lower
 * case, crudely stemmed) is hashed to a dimension and a sign, and the sum is normalized, so texts
 * that share words are similar and texts that share none are orthogonal or nearly so.
 * Swap `vectorTestEmbedder` for `testEmbedder()` of tests/support/embedding-model.ts.
 */
export async function vectorTestEmbedder(): Promise<Embedder> {
  const status: EmbedderStatus = { state: 'ready', model: 'test/hashed-bag-of-words', source: 'local', dimensions: EMBEDDING_DIMENSIONS };
  return {
    status: () => status,
    ready: async () => true,
    embed: async (texts) => texts.map(embedOne),
    countTokens: async (text) => estimateTokens(text),
  };
}

function embedOne(text: string): Float32Array {
  const vector = new Float32Array(EMBEDDING_DIMENSIONS);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const hash = fnv1a(word.replace(/(ing|ed|es|s)$/, ''));
    vector[hash % EMBEDDING_DIMENSIONS] += hash & 0x80000000 ? -1 : 1;
  }
  let norm = Math.hypot(...vector);
  if (norm === 0) {
    vector[0] = 1;
    norm = 1;
  }
  for (let index = 0; index < vector.length; index++) vector[index] /= norm;
  return vector;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
