import { toIso, toIsoOrNull } from '../../schema.js';
import type { AgentTurn, Conversation } from './entities.js';
import type { ConversationView } from './schema.js';

/** A conversation's identity check holds until `verifiedUntil`. */
export const isVerified = (conversation: Conversation, now: Date): boolean =>
  conversation.patientId != null && conversation.verifiedUntil != null && conversation.verifiedUntil > now;

const later = (a: Date | null | undefined, b: Date | null | undefined): Date | null => (a && b ? (a > b ? a : b) : (a ?? b ?? null));

/**
 * The moment after which the conversation's messages are the sender's to read now (null: all of
 * them). Messages written while a verification held carry that patient's records: once it lapses,
 * they stay out of the agent's sight (its prompt, guided mode, the handoff transcript) until the same
 * patient verifies again; another patient verified on the number never sees them (`linkVerified`).
 * A message at the boundary instant counts as before it.
 */
export const historyFloor = (conversation: Conversation, now: Date): Date | null =>
  isVerified(conversation, now) ? (conversation.historyFrom ?? null) : later(conversation.historyFrom, conversation.verifiedUntil);

export const conversationView = (conversation: Conversation, now: Date): ConversationView => ({
  id: conversation.id,
  channel: conversation.channel,
  contact: conversation.contact,
  clinicAddress: conversation.clinicAddress ?? null,
  patientId: conversation.patientId ?? null,
  verified: isVerified(conversation, now),
  verifiedUntil: toIsoOrNull(conversation.verifiedUntil),
  status: conversation.status,
  handledBy: conversation.handledBy,
  handoffTicketId: conversation.handoffTicketId ?? null,
  optedOut: conversation.optedOutAt !== null,
  lastMessageAt: toIsoOrNull(conversation.lastMessageAt),
  closedAt: toIsoOrNull(conversation.closedAt),
  createdAt: toIso(conversation.createdAt),
});

export const agentTurnView = (turn: AgentTurn) => ({
  id: turn.id,
  inboundMessageId: turn.inboundMessageId ?? null,
  mode: turn.mode,
  model: turn.model ?? null,
  outcome: turn.outcome,
  fallbackReason: turn.fallbackReason ?? null,
  steps: turn.steps,
  replyMessageId: turn.replyMessageId ?? null,
  durationMs: turn.durationMs,
  startedAt: toIso(turn.startedAt),
});
