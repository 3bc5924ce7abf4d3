import type { EntityManager } from '@mikro-orm/postgresql';
import { clinicFromTenant, type ClinicProfile } from '../modules/conversations/clinic.js';
import type { Message } from '../modules/conversations/entities.js';

/** The inbound message a turn answers: what the engines and the history read of it. */
export type AnsweredMessage = Pick<Message, 'id' | 'conversationId' | 'body' | 'media' | 'createdAt'>;

type Row = {
  id: string;
  conversation_id: string;
  body: string;
  media: Message['media'];
  created_at: Date;
  name: string;
  time_zone: string;
  profile: Record<string, unknown>;
};

/** The message and the clinic's profile, in one query: a turn runs for every message. */
const MESSAGE_AND_CLINIC = `select m.id, m.conversation_id, m.body, m.media, m.created_at, t.name, t.time_zone, t.profile
  from message m join tenant t on t.id = m.tenant_id
  where m.tenant_id = ? and m.id = ?`;

export async function loadAnswered(em: EntityManager, tenantId: string, messageId: string): Promise<{ message: AnsweredMessage; clinic: ClinicProfile }> {
  const [row] = await em.execute<Row[]>(MESSAGE_AND_CLINIC, [tenantId, messageId]);
  if (!row) throw new Error(`Message ${messageId} was not found`);
  return {
    message: { id: row.id, conversationId: row.conversation_id, body: row.body, media: row.media, createdAt: new Date(row.created_at) },
    clinic: clinicFromTenant({ name: row.name, timeZone: row.time_zone, profile: row.profile }),
  };
}
