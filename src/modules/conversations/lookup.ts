import { LockMode } from '@mikro-orm/core';
import type { AppContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { Conversation } from './entities.js';

/** The tenant's conversation, or 404. `lock` holds its row until the unit of work ends. */
export async function requireConversation(ctx: AppContext, id: string, options: { lock?: boolean } = {}): Promise<Conversation> {
  const conversation = await ctx.em.findOne(Conversation, { id }, options.lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!conversation) throw notFound('Conversation', id);
  return conversation;
}
