import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { after, decodeCursor, page } from '../../db/pagination.js';
import { AgentTurn, Conversation } from './entities.js';
import { Communication } from '../communications/entities.js';
import { requireConversation } from './lookup.js';
import type { ListAgentTurnsInput, ListConversationsInput, ListMessagesInput } from './schema.js';
import { agentTurnView, conversationView } from './views.js';
import { messageView } from '../communications/views.js';

/** Conversations, most recently active first, filtered; keyset-paginated. */
export async function listConversations(ctx: AppContext, input: z.output<typeof ListConversationsInput>) {
  const rows = await ctx.em.find(
    Conversation,
    {
      ...(input.channel ? { channel: input.channel } : {}),
      ...(input.status ? { status: input.status } : {}),
      ...(input.handledBy ? { handledBy: input.handledBy } : {}),
      ...(input.patientId ? { patientId: input.patientId } : {}),
      ...(input.contact ? { contact: input.contact } : {}),
      ...after('lastMessageAt', decodeCursor(input.cursor)),
    },
    { orderBy: [{ lastMessageAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  const now = ctx.clock.now();
  return page(rows, input.limit, (row) => ({ at: row.lastMessageAt ?? row.createdAt, id: row.id }), (row) => conversationView(row, now));
}

export async function getConversation(ctx: AppContext, id: string) {
  return conversationView(await requireConversation(ctx, id), ctx.clock.now());
}

/** A thread's messages, newest first, keyset-paginated. */
export async function listMessages(ctx: AppContext, input: z.output<typeof ListMessagesInput>) {
  const position = decodeCursor(input.cursor); // a bad cursor is bad input, whatever the conversation
  await requireConversation(ctx, input.id);
  const rows = await ctx.em.find(
    Communication,
    { conversationId: input.id, ...after('createdAt', position) },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  return page(rows, input.limit, (row) => ({ at: row.createdAt, id: row.id }), messageView);
}

/** The agent's turns on a conversation, newest first, with every step. */
export async function listAgentTurns(ctx: AppContext, input: z.output<typeof ListAgentTurnsInput>) {
  const position = decodeCursor(input.cursor); // a bad cursor is bad input, whatever the conversation
  await requireConversation(ctx, input.id);
  const rows = await ctx.em.find(
    AgentTurn,
    { conversationId: input.id, ...after('startedAt', position) },
    { orderBy: [{ startedAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  return page(rows, input.limit, (row) => ({ at: row.startedAt, id: row.id }), agentTurnView);
}
