import type { z } from 'zod';
import type { Caller, Services } from '../../context.js';
import type { AppError } from '../../errors.js';
import { runOperation } from '../../tools/runner.js';
import { embedOrDefer } from './embedding.js';
import { IngestOutput } from './schema.js';

/** One article to add to the clinic's knowledge; `name` says where it came from (a file's path). */
export type Article = { name: string; title: string; text: string };
export type ArticleOutcome = { name: string } & ({ ok: true; ingested: z.output<typeof IngestOutput> } | { ok: false; error: AppError });

/**
 * Ingests articles as knowledge through `ingest_knowledge` (each one in the run log) and embeds their
 * chunks while the next articles are read, chunked and stored: the embedding takes every article
 * stored since it last began, so the model's batches fill (see embedPending). Without a model the
 * chunks wait for the backfill. `onOutcome` hears of each article once it is stored (its chunks may
 * still be embedding).
 */
export async function ingestArticles(
  services: Services,
  caller: Caller,
  articles: Iterable<Article> | AsyncIterable<Article>,
  onOutcome: (outcome: ArticleOutcome) => void = () => {},
): Promise<void> {
  const waiting: string[] = [];
  let embedding: Promise<void> | null = null;
  const embedWaiting = async () => {
    while (waiting.length > 0) await embedOrDefer(services, caller.tenant.id, waiting.splice(0));
    embedding = null;
  };
  try {
    for await (const article of articles) {
      const outcome = await runOperation(services, caller, { tool: 'ingest_knowledge', input: { title: article.title, text: article.text } });
      if (!outcome.ok) {
        onOutcome({ name: article.name, ok: false, error: outcome.error });
        continue;
      }
      const ingested = IngestOutput.parse(outcome.output);
      if (!ingested.skipped) {
        waiting.push(ingested.sourceId);
        embedding ??= embedWaiting();
        embedding.catch(() => {}); // awaited below; this only keeps a failure meanwhile from counting as unhandled
      }
      onOutcome({ name: article.name, ok: true, ingested });
    }
  } finally {
    await embedding;
  }
}
