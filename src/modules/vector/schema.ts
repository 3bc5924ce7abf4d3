import { z } from 'zod';
import { Id, InstantInput, Timestamp } from '../../schema.js';
import { sourceTypes } from './entities.js';

const SourceTypeField = z.enum(sourceTypes).describe('transcript, message, ticket_note or knowledge.');
const Query = z.string().trim().min(1).max(1000).describe('What to look for, in plain words; "quotes" for a phrase, -word to exclude.');

export const SearchMode = z.enum(['hybrid', 'lexical', 'vector']).describe('hybrid: by meaning and by words; lexical: by words only (no model or no pgvector).');

export const IngestConversationInput = z.strictObject({ conversationId: Id.describe('The conversation to index as one transcript.') });
export const IngestMessageInput = z.strictObject({ messageId: Id.describe('The message to index.') });
export const IngestTicketInput = z.strictObject({ ticketId: Id.describe('The ticket whose subject, description and notes to index.') });
export const IngestKnowledgeInput = z.strictObject({
  title: z.string().trim().min(1).max(200).describe('The article’s title; ingesting the same title again replaces it.'),
  text: z.string().trim().min(1).max(500_000).describe('The article’s text (plain text or markdown).'),
  tags: z.array(z.string().trim().min(1).max(60)).max(20).default([]).describe('Labels to group articles by.'),
});

export const IngestOutput = z.object({
  sourceType: SourceTypeField,
  sourceId: Id,
  chunks: z.number().int().describe('Chunks the source has now.'),
  skipped: z.boolean().describe('True when the content was unchanged and nothing was done.'),
});

export const SearchInput = z.strictObject({
  query: Query,
  filters: z
    .strictObject({
      sourceTypes: z.array(SourceTypeField).min(1).max(4).optional().describe('Only these kinds of source.'),
      patientId: Id.optional().describe('Only text about this patient.'),
      from: InstantInput.optional().describe('Only sources said or written at or after this instant.'),
      to: InstantInput.optional().describe('Only sources said or written before this instant.'),
    })
    .default({}),
  limit: z.number().int().min(1).max(50).default(10).describe('How many results, at most.'),
});

export const SearchResult = z.object({
  score: z.number().describe('Reciprocal rank fusion score: higher is better; comparable within one answer only.'),
  snippet: z.string().describe('The best passage, matched words between ** and **.'),
  text: z.string().describe('The whole chunk.'),
  source: z.object({
    type: SourceTypeField,
    id: Id,
    chunkIndex: z.number().int(),
    title: z.string().nullable().describe('The title, for knowledge.'),
  }),
  patientId: Id.nullable(),
  sourceAt: Timestamp,
  matchedAllWords: z.boolean().describe('The text has every word of the query (stemmed, stop words aside).'),
  similarity: z.number().nullable().describe('Cosine similarity to the query, when it was found by meaning.'),
});

export const SearchOutput = z.object({ mode: SearchMode, results: z.array(SearchResult) });
export type SearchOutput = z.infer<typeof SearchOutput>;

export const SearchKnowledgeInput = z.strictObject({
  query: Query,
  limit: z.number().int().min(1).max(5).default(3).describe('How many passages, at most.'),
});
export const SearchKnowledgeOutput = z.object({
  mode: SearchMode,
  results: z.array(
    z.object({
      title: z.string(),
      snippet: z.string(),
      text: z.string(),
      score: z.number(),
      matchedAllWords: z.boolean().describe('The passage has every word of the question.'),
      similarity: z.number().nullable().describe('Cosine similarity to the question, when found by meaning.'),
    }),
  ),
});

const EmbedderStatusView = z.object({
  state: z.enum(['loading', 'ready', 'unavailable']),
  model: z.string(),
  source: z.enum(['hub', 'local']),
  dimensions: z.number().int(),
  reason: z.string().optional(),
});

export const StatsInput = z.strictObject({});
export const StatsOutput = z.object({
  mode: SearchMode.exclude(['vector']),
  pgvector: z.boolean().describe('Whether the database stores vectors.'),
  embedder: EmbedderStatusView,
  sources: z.array(z.object({ sourceType: SourceTypeField, chunks: z.number().int(), withVectors: z.number().int(), withoutVectors: z.number().int() })),
});

export const DeleteSourceInput = z.strictObject({ type: SourceTypeField, id: Id.describe('The source’s id.') });
export const DeleteSourceOutput = z.object({ deleted: z.number().int().describe('Chunks removed.') });

export const HealthInput = z.strictObject({});
export const HealthOutput = z.object({
  ok: z.boolean().describe('True when search is by meaning and words; false when it is lexical-only (no model or no pgvector).'),
  mode: SearchMode.exclude(['vector']),
  pgvector: z.boolean(),
  embedder: EmbedderStatusView,
  embeddingMs: z.number().nullable().describe('Time to embed a probe sentence; null without a model.'),
});
