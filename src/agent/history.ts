import type { ModelMessage } from 'ai';
import type { Sql } from '../db/sql.js';
import { history, type HistoryRow } from '../modules/communications/statements.js';
import type { AnsweredMessage } from './turn-input.js';
import { clipText } from '../tools/input-text.js';

/**
 * The most of one patient message the model reads. A webhook may carry some 40,000 characters; past
 * a letter's length, more text only fills the model's context (and may overflow a small one), so the
 * rest is left out, saying so.
 */
const READ_CHARACTERS = 4_000;

const readable = (body: string) =>
  body.length <= READ_CHARACTERS ? body : `${clipText(body, READ_CHARACTERS)}\n[The message goes on for ${body.length - READ_CHARACTERS} more characters, not shown.]`;

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
      return { role: 'user', content: `${readable(message.body)}${media}` };
    }
    return { role: 'assistant', content: message.authorKind === 'staff' ? `[Clinic staff wrote:] ${message.body}` : message.body };
  });
}
