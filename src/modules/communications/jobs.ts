/**
 * The jobs of the message pipeline, declared once. Their kinds are kept from before the pipeline moved
 * here, so jobs queued by an older version still find their handler (src/jobs/handlers.ts).
 */

/** Answers one inbound communication: the agent's turn (handled in src/agent/turn.ts). */
export const ANSWER_JOB = 'agent.turn';
export type AnswerPayload = { conversationId: string; messageId: string };

/** Hands one outbound communication to its channel's provider (src/modules/communications/delivery.ts). */
export const DELIVER_JOB = 'message.deliver';
export type DeliverPayload = { messageId: string };
