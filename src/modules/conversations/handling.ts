import type { AppContext } from '../../context.js';
import { AppError, unprocessable } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { queueOutbound } from '../communications/outbound.js';
import { attachments } from '../media/attachments.js';
import { requireActivePatient } from '../patients/lookup.js';
import { linkVerified } from './identity.js';
import { requireConversation } from './lookup.js';
import { conversationView } from './views.js';
import { messageView } from '../communications/views.js';

type Change = 'closed' | 'reopened' | 'taken_over' | 'handed_back';

async function change(ctx: AppContext, id: string, kind: Change) {
  const conversation = await requireConversation(ctx, id, { lock: true });
  const now = ctx.clock.now();
  switch (kind) {
    case 'closed':
      conversation.status = 'closed';
      conversation.closedAt = now;
      break;
    case 'reopened':
      conversation.status = 'open';
      conversation.closedAt = null;
      break;
    case 'taken_over':
      conversation.handledBy = 'staff';
      break;
    case 'handed_back':
      conversation.handledBy = 'bot';
      conversation.handoffTicketId = null;
      break;
  }
  conversation.updatedAt = now;
  recordEvent(ctx, { type: `conversation.${kind}`, entityType: 'conversation', entityId: conversation.id, payload: { by: ctx.actor.id } });
  return conversationView(conversation, now);
}

export const closeConversation = (ctx: AppContext, id: string) => change(ctx, id, 'closed');
export const reopenConversation = (ctx: AppContext, id: string) => change(ctx, id, 'reopened');
/** Staff take the conversation: the bot stays silent on it until handed back. */
export const takeOverConversation = (ctx: AppContext, id: string) => change(ctx, id, 'taken_over');
/** Gives the conversation back to the bot. */
export const handBackConversation = (ctx: AppContext, id: string) => change(ctx, id, 'handed_back');

/** Sends a message as the calling staff member into the thread, over the conversation's channel, with the clinic's files `mediaIds`. */
export async function sendStaffMessage(ctx: AppContext, input: { id: string; body: string; mediaIds?: string[] }) {
  const conversation = await requireConversation(ctx, input.id, { lock: true });
  if (conversation.optedOutAt) {
    throw unprocessable('The patient opted out of messages on this channel (STOP); nothing can be sent until they send START.');
  }
  const mediaIds = input.mediaIds ?? [];
  if (mediaIds.length > 0 && conversation.channel !== 'whatsapp' && conversation.channel !== 'sms') {
    const message = `Files can be sent on WhatsApp and SMS only, not on ${conversation.channel}.`;
    throw new AppError('unprocessable', message, { issues: [{ path: 'mediaIds', message }] });
  }
  const media = await attachments(ctx, mediaIds);
  return messageView(queueOutbound(ctx, conversation, { body: input.body, media, authorKind: 'staff', authorId: ctx.actor.id }).message);
}

/** Staff confirm who the conversation is with (checked another way, for example on a call). */
export async function linkConversationPatient(ctx: AppContext, input: { id: string; patientId: string }) {
  const conversation = await requireConversation(ctx, input.id, { lock: true });
  await requireActivePatient(ctx, input.patientId);
  linkVerified(ctx, conversation, input.patientId);
  return conversationView(conversation, ctx.clock.now());
}
