import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import { EMBEDDING_DIMENSIONS, EmbeddingUnavailable, type Embedder, type EmbedderStatus } from './embedder.js';

/** Words and punctuation marks: close to a WordPiece count for English, used until a tokenizer is loaded. */
export function estimateTokens(text: string): number {
  return text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0;
}

/** The embedder of this process, built from configuration. */
export function createEmbedder(config: Config, log: Logger): Embedder {
  const status: EmbedderStatus = {
    state: 'unavailable',
    model: config.embedding.modelId,
    source: config.embedding.modelPath ? 'local' : 'hub',
    dimensions: EMBEDDING_DIMENSIONS,
    reason: 'model loading is not built yet',
  };
  log.debug({ status }, 'embedder');
  return {
    status: () => status,
    ready: async () => false,
    embed: async () => {
      throw new EmbeddingUnavailable(status.reason ?? 'unknown');
    },
    countTokens: async (text) => estimateTokens(text),
  };
}
