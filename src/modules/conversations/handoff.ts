import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { recordEvent } from '../../events.js';
import { createTicket } from '../tickets/service.js';
import { clinicProfile } from './clinic.js';
import type { Conversation } from './entities.js';
import { Communication } from '../communications/entities.js';
import { requireConversation } from './lookup.js';
import type { HandoffInput } from './schema.js';
import { historyFloor, isVerified } from './views.js';

const TRANSCRIPT_MESSAGES = 12;

/**
 * The last messages as text, oldest first, for the staff who take over: those the agent may read now
 * (`historyFloor`), so a ticket about whoever writes now carries nothing of a patient verified before.
 */
async function recentTranscript(ctx: AppContext, conversation: Conversation): Promise<string> {
  const floor = historyFloor(conversation, ctx.clock.now());
  const messages = await ctx.em.find(
    Communication,
    { conversationId: conversation.id, ...(floor ? { createdAt: { $gt: floor } } : {}) },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: TRANSCRIPT_MESSAGES },
  );
  return messages
    .reverse()
    .map((message) => `${message.authorKind === 'patient' ? 'Patient' : message.authorKind === 'staff' ? 'Staff' : 'Assistant'}: ${message.body}`)
    .join('\n');
}

/**
 * Hands the conversation to staff: a ticket with the reason and a summary, the bot silent on it until
 * staff hand it back, and a message for the patient saying what happens next. Asking twice keeps the
 * first ticket.
 */
export async function handOff(ctx: AppContext, input: z.output<typeof HandoffInput>) {
  const conversation = await requireConversation(ctx, input.conversationId, { lock: true });
  const profile = await clinicProfile(ctx.em, ctx.tenant.id);
  const next =
    `I have passed your message to our team at ${profile.name}. Someone will reply here` +
    (profile.hours ? ` during opening hours (${profile.hours}).` : ' as soon as they can.') +
    (profile.phone ? ` If it is urgent, please call ${profile.phone}.` : '') +
    ' In an emergency, call 911.';
  if (conversation.handledBy === 'staff' && conversation.handoffTicketId) {
    return { ticketId: conversation.handoffTicketId, message: next };
  }
  const transcript = await recentTranscript(ctx, conversation);
  const ticket = await createTicket(ctx, {
    subject: `Patient asks for a person: ${input.reason}`.slice(0, 200),
    description: [input.summary, transcript ? `Recent messages:\n${transcript}` : undefined].filter(Boolean).join('\n\n') || undefined,
    priority: input.urgent ? 'urgent' : 'normal',
    category: 'handoff',
    patientId: isVerified(conversation, ctx.clock.now()) ? (conversation.patientId ?? undefined) : undefined,
    conversationId: conversation.id,
  });
  conversation.handledBy = 'staff';
  conversation.handoffTicketId = ticket.id;
  conversation.updatedAt = ctx.clock.now();
  recordEvent(ctx, { type: 'conversation.handed_off', entityType: 'conversation', entityId: conversation.id, payload: { ticketId: ticket.id, urgent: input.urgent } });
  return { ticketId: ticket.id, message: next };
}
