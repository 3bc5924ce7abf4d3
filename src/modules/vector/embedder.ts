/**
 * The embedding model, as the rest of the service sees it. One instance per process
 * (`services.embedder`), loaded lazily on first use and shared.
 */
export const EMBEDDING_DIMENSIONS = 384;

export type EmbedderState =
  /** Not asked for yet, or loading. */
  | 'loading'
  | 'ready'
  /** No model could be loaded (no network, no local folder): search runs lexical-only. */
  | 'unavailable';

export type EmbedderStatus = {
  state: EmbedderState;
  /** The model id in use, e.g. `Xenova/all-MiniLM-L6-v2`. */
  model: string;
  /** Where it loads from: the hub (cached) or a local folder. */
  source: 'hub' | 'local';
  dimensions: typeof EMBEDDING_DIMENSIONS;
  /** Why it is unavailable. */
  reason?: string;
};

export interface Embedder {
  status(): EmbedderStatus;
  /**
   * Loads the model if needed; true when it can embed. Never throws. After a failed load, later calls try
   * again once a cooldown has passed, or at once with `retry` (a backfill job whose model may have appeared).
   */
  ready(options?: { retry?: boolean }): Promise<boolean>;
  /**
   * Mean-pooled, L2-normalized vectors of `EMBEDDING_DIMENSIONS`, one per text, in order; batched
   * internally. Throws `EmbeddingUnavailable` when no model can be loaded.
   */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /**
   * Token counts the chunker sizes chunks by: the model's own tokenizer when it is loaded, otherwise an
   * estimate from words and punctuation. Never throws.
   */
  countTokens(text: string): Promise<number>;
  /** Stops the model's thread; a later call loads it again. */
  close(): Promise<void>;
}

export class EmbeddingUnavailable extends Error {
  constructor(reason: string) {
    super(`No embedding model is available: ${reason}`);
    this.name = 'EmbeddingUnavailable';
  }
}
