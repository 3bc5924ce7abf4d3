import type { ModelMessage } from 'ai';
import type { Sql } from '../db/sql.js';
import { history, type HistoryRow } from '../modules/communications/statements.js';
import type { AnsweredMessage } from './turn-input.js';

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
  const rows = await sql.query<HistoryRow>(history({ tenantId, answering, floor: options.floor, limit: options.limit }));
  return rows.reverse().map((message): ModelMessage => {
    if (message.direction === 'inbound') {
      const media = message.media.length > 0 ? `\n[The patient attached ${message.media.length} file(s).]` : '';
      return { role: 'user', content: `${message.body}${media}` };
    }
    return { role: 'assistant', content: message.authorKind === 'staff' ? `[Clinic staff wrote:] ${message.body}` : message.body };
  });
}
