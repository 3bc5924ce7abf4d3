import type { ModelMessage } from 'ai';
import type { Sql } from '../db/sql.js';
import type { Communication } from '../modules/communications/entities.js';
import type { AnsweredMessage } from './turn-input.js';

type Row = Pick<Communication, 'direction' | 'body' | 'media'> & { author_kind: Communication['authorKind'] };

/**
 * Plain SQL: every model turn reads it, and the ORM's find and hydration cost more than the rows.
 * Nothing at or before the floor (see `historyFloor`), except the message being answered itself.
 */
const HISTORY = `select direction, author_kind, body, media from communication
  where tenant_id = ? and conversation_id = ? and (created_at, id) <= (?, ?)
    and (created_at > coalesce(?::timestamptz, '-infinity'::timestamptz) or id = ?)
  order by created_at desc, id desc limit ?`;

/**
 * The conversation as the model reads it: the last `limit` messages after `floor` up to and including
 * the one being answered (a later message waits for its own turn), oldest first. The floor keeps out
 * what was written for a patient whose verification has lapsed, or for another patient on the number.
 */
export async function conversationHistory(
  sql: Sql,
  tenantId: string,
  answering: AnsweredMessage,
  options: { limit: number; floor: Date | null },
): Promise<ModelMessage[]> {
  const rows = await sql.query<Row>({
    sql: HISTORY,
    params: [tenantId, answering.conversationId, answering.createdAt, answering.id, options.floor, answering.id, options.limit],
  });
  return rows.reverse().map((message): ModelMessage => {
    if (message.direction === 'inbound') {
      const media = message.media.length > 0 ? `\n[The patient attached ${message.media.length} file(s).]` : '';
      return { role: 'user', content: `${message.body}${media}` };
    }
    return { role: 'assistant', content: message.author_kind === 'staff' ? `[Clinic staff wrote:] ${message.body}` : message.body };
  });
}
