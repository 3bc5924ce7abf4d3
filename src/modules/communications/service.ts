import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { after, decodeCursor, page } from '../../db/pagination.js';
import { notFound } from '../../errors.js';
import { Conversation } from '../conversations/entities.js';
import { Communication, CommunicationStatusReport } from './entities.js';
import type { ListCommunicationsInput } from './schema.js';
import { communicationView, statusReportView } from './views.js';

/**
 * The conversations a list is narrowed to: by channel or patient (conversations carry both), and by
 * id; undefined when the list is not narrowed by conversation at all.
 */
async function conversationScope(ctx: AppContext, input: z.output<typeof ListCommunicationsInput>): Promise<string[] | undefined> {
  if (!input.channel && !input.patientId) return input.conversationId ? [input.conversationId] : undefined;
  const found = await ctx.em.find(
    Conversation,
    { ...(input.channel ? { channel: input.channel } : {}), ...(input.patientId ? { patientId: input.patientId } : {}), ...(input.conversationId ? { id: input.conversationId } : {}) },
    { fields: ['id'] },
  );
  return found.map((conversation) => conversation.id);
}

/** The clinic's communications, newest first, on any channel: filtered by patient, conversation, status, time. */
export async function listCommunications(ctx: AppContext, input: z.output<typeof ListCommunicationsInput>) {
  const position = decodeCursor(input.cursor);
  const conversationIds = await conversationScope(ctx, input);
  if (conversationIds?.length === 0) return { items: [], nextCursor: null };
  const created = { ...(input.since ? { $gte: new Date(input.since) } : {}), ...(input.until ? { $lt: new Date(input.until) } : {}) };
  const rows = await ctx.em.find(
    Communication,
    {
      ...(conversationIds ? { conversationId: { $in: conversationIds } } : {}),
      ...(input.direction ? { direction: input.direction } : {}),
      ...(input.status ? { status: { $in: input.status } } : {}),
      ...(input.since || input.until ? { createdAt: created } : {}),
      ...after('createdAt', position),
    },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  const threads = new Map((await ctx.em.find(Conversation, { id: { $in: [...new Set(rows.map((row) => row.conversationId))] } })).map((conversation) => [conversation.id, conversation]));
  return page(rows, input.limit, (row) => ({ at: row.createdAt, id: row.id }), (row) => communicationView(row, threadOf(threads, row)));
}

/** One communication with every status its provider reported. */
export async function getCommunication(ctx: AppContext, id: string) {
  const communication = await ctx.em.findOne(Communication, { id });
  if (!communication) throw notFound('Communication', id);
  const conversation = await ctx.em.findOneOrFail(Conversation, { id: communication.conversationId });
  const reports = await ctx.em.find(CommunicationStatusReport, { communicationId: id }, { orderBy: [{ reportedAt: 'asc' }, { id: 'asc' }] });
  return { ...communicationView(communication, conversation), statusReports: reports.map(statusReportView) };
}

function threadOf(threads: Map<string, Conversation>, communication: Communication): Conversation {
  const conversation = threads.get(communication.conversationId);
  if (!conversation) throw new Error(`Conversation ${communication.conversationId} of communication ${communication.id} is missing`);
  return conversation;
}
