import type { ModelMessage } from 'ai';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Message } from '../modules/conversations/entities.js';
import type { AnsweredMessage } from './turn-input.js';

/**
 * The conversation as the model reads it: the last `limit` messages up to and including the one
 * being answered (a later message waits for its own turn), oldest first.
 */
export async function conversationHistory(em: EntityManager, answering: AnsweredMessage, limit: number): Promise<ModelMessage[]> {
  const rows = await em.find(
    Message,
    { conversationId: answering.conversationId, $or: [{ createdAt: { $lt: answering.createdAt } }, { createdAt: answering.createdAt, id: { $lte: answering.id } }] },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit },
  );
  return rows.reverse().map((message): ModelMessage => {
    if (message.direction === 'inbound') {
      const media = message.media.length > 0 ? `\n[The patient attached ${message.media.length} file(s).]` : '';
      return { role: 'user', content: `${message.body}${media}` };
    }
    return { role: 'assistant', content: message.authorKind === 'staff' ? `[Clinic staff wrote:] ${message.body}` : message.body };
  });
}
