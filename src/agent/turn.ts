import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createContext, type AppContext, type Services, type TenantInfo } from '../context.js';
import { isConstraintViolation } from '../db/database-errors.js';
import { newId } from '../ids.js';
import type { JobHandler } from '../jobs/worker.js';
import { queueOutbound } from '../channels/outbound.js';
import { AgentTurn, Conversation, Message } from '../modules/conversations/entities.js';
import { isVerified } from '../modules/conversations/views.js';
import { grantConsent, revokeConsent } from '../modules/patients/service.js';
import { addTicketNote, createTicket } from '../modules/tickets/service.js';
import { Ticket } from '../modules/tickets/entities.js';
import { tenantEntityManager } from '../tools/runner.js';
import { callerFor, conversationToolCaller } from './tool-caller.js';
import { decide, type Decision } from './decide.js';
import { loadAnswered } from './turn-input.js';

export type TurnResult = { reply: string | null; outcome: Decision['outcome']; replyMessageId: string | null; turnId: string };

/** Purposes a STOP revokes on the channel, and a START grants back. */
const OPTED_OUT_PURPOSES = ['care_messages', 'appointment_reminders', 'marketing'] as const;

/**
 * Answers one inbound message: decides (carrier keywords, staff mode, the model or guided mode), then
 * stores the reply, the turn with its steps and the conversation's new state in one transaction.
 * A message is answered once: the database takes one turn per message, and a second run returns the first.
 */
export async function runTurn(
  services: Services,
  tenant: TenantInfo,
  ids: { conversationId: string; messageId: string },
  /** Commits the turn's job with the turn (see JobContext.complete). */
  completeJob?: (em: EntityManager) => Promise<void>,
): Promise<TurnResult> {
  const started = performance.now();
  const startedAt = services.clock.now();
  const em = tenantEntityManager(services, tenant.id);
  // A turn run again (its worker died after storing it) meets the unique index on store and
  // returns what was stored; its writes were replays by idempotency key.
  const conversation = await em.findOneOrFail(Conversation, { id: ids.conversationId });
  const { message, clinic } = await loadAnswered(em, tenant.id, ids.messageId);
  const decision = await decide({ services, tenant, em, conversation, message, clinic, call: conversationToolCaller(services, tenant, ids) });
  try {
    const result = await store(services, tenant, ids, decision, { started, startedAt }, completeJob);
    services.jobs.nudge(); // the reply's delivery job
    return result;
  } catch (error) {
    if (!isConstraintViolation(error, 'agent_turn_inbound_unique')) throw error;
    // Another run of this turn stored first (a retry racing a slow original): keep its answer. This
    // run's transaction, and the job's completion in it, rolled back: complete the job on its own.
    const em = tenantEntityManager(services, tenant.id);
    await completeJob?.(em);
    return storedResult(services, tenant, await em.findOneOrFail(AgentTurn, { inboundMessageId: ids.messageId }));
  }
}

async function storedResult(services: Services, tenant: TenantInfo, turn: AgentTurn): Promise<TurnResult> {
  const reply = turn.replyMessageId ? await tenantEntityManager(services, tenant.id).findOne(Message, { id: turn.replyMessageId }) : null;
  return { reply: reply?.body ?? null, outcome: turn.outcome as Decision['outcome'], replyMessageId: turn.replyMessageId ?? null, turnId: turn.id };
}

async function store(
  services: Services,
  tenant: TenantInfo,
  ids: { conversationId: string; messageId: string },
  decision: Decision,
  timing: { started: number; startedAt: Date },
  completeJob: ((em: EntityManager) => Promise<void>) | undefined,
): Promise<TurnResult> {
  return tenantEntityManager(services, tenant.id).transactional(async (transaction) => {
    const conversation = await transaction.findOneOrFail(Conversation, { id: ids.conversationId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const ctx = createContext(services, callerFor(tenant, conversation, services.clock.now()), transaction);
    if (decision.guidedState) conversation.state = { ...conversation.state, guided: decision.guidedState };
    if (decision.optOut) await applyOptOut(ctx, conversation, decision.optOut);
    if (decision.mode === 'guided' && decision.model) await reportModelFailure(ctx, conversation, decision.fallbackReason ?? 'the model failed');

    const reply = decision.reply ? queueOutbound(ctx, conversation, { body: decision.reply, authorKind: decision.authorKind }) : null;
    const outcome = decision.outcome === 'replied' && conversation.handledBy === 'staff' ? 'handed_off' : decision.outcome;
    const now = ctx.clock.now();
    const turn = transaction.create(AgentTurn, {
      id: newId(),
      tenantId: tenant.id,
      conversationId: conversation.id,
      inboundMessageId: ids.messageId,
      mode: decision.mode,
      model: decision.model,
      outcome,
      fallbackReason: decision.fallbackReason,
      steps: decision.steps,
      replyMessageId: reply?.id ?? null,
      durationMs: performance.now() - timing.started,
      startedAt: timing.startedAt,
      createdAt: now,
      updatedAt: now,
    });
    conversation.updatedAt = now;
    await completeJob?.(transaction);
    return { reply: reply?.body ?? null, outcome, replyMessageId: reply?.id ?? null, turnId: turn.id };
  });
}

/** STOP / START: the number's opt-out, and the linked patient's consent on this channel. */
async function applyOptOut(ctx: AppContext, conversation: Conversation, change: 'out' | 'in'): Promise<void> {
  conversation.optedOutAt = change === 'out' ? ctx.clock.now() : null;
  const patientId = conversation.patientId;
  if (!patientId || conversation.channel === 'chat') return;
  const channel = conversation.channel;
  const note = `The patient sent ${change === 'out' ? 'STOP' : 'START'} over ${channel}.`;
  if (change === 'out') {
    for (const purpose of OPTED_OUT_PURPOSES) await revokeConsent(ctx, { patientId, channel, purpose, note });
  } else {
    await grantConsent(ctx, { patientId, channel, purpose: 'care_messages', note });
  }
}

/**
 * A patient was answered in guided mode because the model failed: staff hear of it through one open
 * ticket per conversation (later failures add notes to it).
 */
async function reportModelFailure(ctx: AppContext, conversation: Conversation, reason: string): Promise<void> {
  const openTicketId = conversation.state.modelFailureTicketId;
  if (typeof openTicketId === 'string') {
    const ticket = await ctx.em.findOne(Ticket, { id: openTicketId });
    if (ticket && !['resolved', 'closed'].includes(ticket.status)) {
      await addTicketNote(ctx, { id: ticket.id, body: `Again: ${reason}` });
      return;
    }
  }
  const verified = isVerified(conversation, ctx.clock.now());
  const ticket = await createTicket(ctx, {
    subject: 'The assistant’s language model failed; guided mode answered the patient',
    description: `Reason: ${reason}\nThe patient got an answer from guided mode. Check the model configuration (OPENAI_BASE_URL, OPENAI_API_KEY, PRM_MODEL) and the conversation.`,
    priority: 'high',
    category: 'assistant',
    patientId: verified ? (conversation.patientId ?? undefined) : undefined,
    conversationId: conversation.id,
  });
  conversation.state = { ...conversation.state, modelFailureTicketId: ticket.id };
}

/** The job that runs a turn for each stored inbound message (see receiveInbound). */
export const turnJob: JobHandler = async ({ services, tenant, job, complete }) => {
  await runTurn(services, tenant, { conversationId: String(job.payload.conversationId), messageId: String(job.payload.messageId) }, complete);
};
