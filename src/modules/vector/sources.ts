import type { AppContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { Conversation } from '../conversations/entities.js';
import { Communication } from '../communications/entities.js';
import { requireConversation } from '../conversations/lookup.js';
import { Ticket, TicketNote } from '../tickets/entities.js';
import type { SourceText } from './chunk-store.js';
import { conversationSearchAllowed } from './consent.js';

/** A source's text, or why it may not be indexed (then whatever it had is removed). */
export type LoadedSource = { source: SourceText } | { withheld: string };

const speakers: Record<Communication['authorKind'], string> = { patient: 'Patient', bot: 'Assistant', staff: 'Staff', system: 'Clinic' };

async function withheldReason(ctx: AppContext, conversation: Conversation): Promise<string | undefined> {
  if (!conversation.patientId) return 'the conversation has no verified patient, so no consent to search it';
  if (!(await conversationSearchAllowed(ctx, conversation.patientId, conversation.channel))) {
    return `the patient has not granted conversation_search consent for ${conversation.channel}`;
  }
  return undefined;
}

/** A conversation's thread as one transcript, one line per message. */
export async function transcriptSource(ctx: AppContext, conversationId: string): Promise<LoadedSource> {
  const conversation = await requireConversation(ctx, conversationId);
  const withheld = await withheldReason(ctx, conversation);
  if (withheld) return { withheld };
  // Only the current patient's part of the thread: on a shared number, what came before `historyFrom` was another patient's.
  const since = conversation.historyFrom ? { createdAt: { $gt: conversation.historyFrom } } : {};
  const messages = await ctx.em.find(Communication, { conversationId, ...since }, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return {
    source: {
      type: 'transcript',
      id: conversation.id,
      patientId: conversation.patientId ?? null,
      channel: conversation.channel,
      sourceAt: messages.at(-1)?.createdAt ?? conversation.createdAt,
      text: messages.map((message) => `${speakers[message.authorKind]}: ${message.body}`).join('\n'),
    },
  };
}

/** One message, under its conversation's patient. */
export async function messageSource(ctx: AppContext, messageId: string): Promise<LoadedSource> {
  const message = await ctx.em.findOne(Communication, { id: messageId });
  if (!message) throw notFound('Message', messageId);
  const conversation = await requireConversation(ctx, message.conversationId);
  const withheld = await withheldReason(ctx, conversation);
  if (withheld) return { withheld };
  if (conversation.historyFrom && message.createdAt <= conversation.historyFrom) {
    return { withheld: 'it was written before the patient now linked to the conversation took it over (a shared number)' };
  }
  return {
    source: { type: 'message', id: message.id, patientId: conversation.patientId ?? null, channel: conversation.channel, sourceAt: message.createdAt, text: message.body },
  };
}

/** A ticket's subject, description and notes, as `ticket_note` text under the ticket's patient. */
export async function ticketSource(ctx: AppContext, ticketId: string): Promise<LoadedSource> {
  const ticket = await ctx.em.findOne(Ticket, { id: ticketId });
  if (!ticket) throw notFound('Ticket', ticketId);
  const notes = await ctx.em.find(TicketNote, { ticketId }, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const text = [ticket.subject, ticket.description ?? '', ...notes.map((note) => note.body)].filter((part) => part.trim() !== '').join('\n\n');
  return { source: { type: 'ticket_note', id: ticket.id, patientId: ticket.patientId ?? null, channel: null, sourceAt: ticket.updatedAt, text } };
}
