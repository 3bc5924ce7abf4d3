import type { Services } from '../context.js';
import { clinicFromTenant, type ClinicProfile } from '../modules/conversations/clinic.js';
import { readTurnInput, turnInput, type AnsweredCommunication, type TurnConversation } from '../modules/communications/statements.js';

/** The inbound message a turn answers: what the engines and the history read of it. */
export type AnsweredMessage = AnsweredCommunication;

/** What a turn starts from: its conversation (as it was read, not locked), the message, the clinic. */
export type TurnInput = { conversation: TurnConversation; message: AnsweredMessage; clinic: ClinicProfile };

/** The message, its conversation and the clinic's profile, in one query: a turn runs for every message. */
export async function loadTurnInput(services: Pick<Services, 'sql' | 'orm'>, tenantId: string, ids: { conversationId: string; messageId: string }): Promise<TurnInput> {
  const [row] = await services.sql.query<Record<string, unknown>>(turnInput(services.orm, { tenantId, ...ids }));
  if (!row) throw new Error(`Message ${ids.messageId} of conversation ${ids.conversationId} was not found`);
  const { answered, conversation, clinic } = readTurnInput(services.orm, row);
  return { conversation, message: answered, clinic: clinicFromTenant(clinic) };
}
