import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { unprocessable } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { replaceChunks, type SourceText } from './chunk-store.js';
import { requestBackfill } from './embedding.js';
import { KnowledgeSource, TextChunk } from './entities.js';
import type { IngestKnowledgeInput, IngestOutput } from './schema.js';
import { messageSource, ticketSource, transcriptSource, type LoadedSource } from './sources.js';
import { vectorStorage } from './storage.js';

type Ingested = z.input<typeof IngestOutput>;

/**
 * Stores the source's chunks in the caller's unit of work and asks for their vectors after the
 * commit (a backfill job): the request never waits for the model, and no transaction stays open
 * while it embeds.
 */
async function store(ctx: AppContext, source: SourceText): Promise<Ingested> {
  const chunks = await replaceChunks(ctx, source);
  if (chunks > 0 && (await vectorStorage(ctx.em))) await requestBackfill(ctx.em, ctx.tenant.id);
  return { sourceType: source.type, sourceId: source.id, chunks, skipped: false };
}

function required(loaded: LoadedSource): SourceText {
  if ('withheld' in loaded) throw unprocessable(`Not indexed: ${loaded.withheld}.`);
  return loaded.source;
}

/** Indexes a conversation's whole thread as one transcript (needs the patient's consent). */
export async function ingestConversation(ctx: AppContext, conversationId: string): Promise<Ingested> {
  return store(ctx, required(await transcriptSource(ctx, conversationId)));
}

/** Indexes one message (needs the patient's consent). */
export async function ingestMessage(ctx: AppContext, messageId: string): Promise<Ingested> {
  return store(ctx, required(await messageSource(ctx, messageId)));
}

/** Indexes a ticket's subject, description and notes. */
export async function ingestTicket(ctx: AppContext, ticketId: string): Promise<Ingested> {
  return store(ctx, required(await ticketSource(ctx, ticketId)));
}

export const contentHash = (text: string) => createHash('sha256').update(text).digest('hex');

/** Indexes a knowledge article under its title; the same text again changes nothing but its tags. */
export async function ingestKnowledge(ctx: AppContext, input: z.output<typeof IngestKnowledgeInput>): Promise<Ingested> {
  const hash = contentHash(input.text);
  const now = ctx.clock.now();
  const existing = await ctx.em.findOne(KnowledgeSource, { title: input.title });
  if (existing?.contentHash === hash) {
    if (existing.tags.join('\n') !== input.tags.join('\n')) {
      existing.tags = input.tags;
      existing.updatedAt = now;
      recordEvent(ctx, { type: 'vector.knowledge_retagged', entityType: 'knowledge', entityId: existing.id, payload: { tags: input.tags } });
    }
    return { sourceType: 'knowledge', sourceId: existing.id, chunks: await ctx.em.count(TextChunk, { sourceType: 'knowledge', sourceId: existing.id }), skipped: true };
  }
  const source =
    existing ?? ctx.em.create(KnowledgeSource, { id: newId(), tenantId: ctx.tenant.id, title: input.title, tags: input.tags, contentHash: hash, createdAt: now, updatedAt: now });
  source.tags = input.tags;
  source.contentHash = hash;
  source.updatedAt = now;
  // The chunks' rows are written with SQL: the source's row must exist first.
  await ctx.em.flush();
  return store(ctx, { type: 'knowledge', id: source.id, patientId: null, channel: null, sourceAt: now, text: `${input.title}\n\n${input.text}` });
}
