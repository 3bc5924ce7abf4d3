import { LockMode } from '@mikro-orm/core';
import { createContext, type AppContext, type Services, type TenantInfo } from '../context.js';
import { isConstraintViolation } from '../db/database-errors.js';
import { newId } from '../ids.js';
import type { JobContext, JobHandler } from '../jobs/worker.js';
import { outboundRows, repliesInline } from '../modules/communications/outbound.js';
import { lockForReply, readLockedForReply, touchAfterTurn } from '../modules/communications/statements.js';
import { executeAll, insertRows } from '../db/statement.js';
import { ormSql, type Sql } from '../db/sql.js';
import { DomainEvent } from '../events.js';
import { insertClaimedUnlessWaiting } from '../jobs/enqueue.js';
import { Job } from '../jobs/job.js';
import { AgentTurn, Conversation } from '../modules/conversations/entities.js';
import { Communication } from '../modules/communications/entities.js';
import { isVerified } from '../modules/conversations/views.js';
import { grantConsent, revokeConsent } from '../modules/patients/service.js';
import { addTicketNote, createTicket } from '../modules/tickets/service.js';
import { Ticket } from '../modules/tickets/entities.js';
import { tenantEntityManager } from '../tools/runner.js';
import { callerFor, conversationToolCaller } from './tool-caller.js';
import { decide, type Decision } from './decide.js';
import { loadTurnInput } from './turn-input.js';

export type TurnResult = { reply: string | null; outcome: Decision['outcome']; replyMessageId: string | null; turnId: string };
/** A stored turn, with its jobs: the delivery if it was inserted claimed (run it here), the others' ids. */
type Stored = TurnResult & { claimedDelivery: Job | null; pendingJobIds: string[] };

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
  /** Commits the turn's job with the turn, in the turn's statement (see JobContext.complete). */
  completeJob?: JobContext['complete'],
): Promise<TurnResult> {
  const started = performance.now();
  const startedAt = services.clock.now();
  const em = tenantEntityManager(services, tenant.id);
  // A turn run again (its worker died after storing it) meets the unique index on store and
  // returns what was stored; its writes were replays by idempotency key.
  const { conversation, message, clinic } = await loadTurnInput(services, tenant.id, ids);
  const verifiedAs = isVerified(conversation, startedAt) ? (conversation.patientId ?? null) : null;
  const decision = await decide({ services, tenant, em, conversation, message, clinic, call: conversationToolCaller(services, tenant, ids) });
  // A place to send the reply from, right after the commit, with no claim (see JobWorker.reserve):
  // the turn's job ends with the store, so its delivery takes its place.
  const reservation = decision.reply && !repliesInline(conversation.channel) ? services.jobs.reserve({ handOver: completeJob !== undefined }) : null;
  try {
    const { claimedDelivery, pendingJobIds, ...result } = await store(services, tenant, ids, conversation.channel, decision, { started, startedAt, verifiedAs, claimDelivery: reservation !== null }, completeJob);
    if (reservation) services.jobs.settle(reservation, claimedDelivery ? { job: claimedDelivery, tenant } : undefined);
    services.jobs.nudge(pendingJobIds);
    return result;
  } catch (error) {
    if (!isConstraintViolation(error, 'agent_turn_inbound_unique')) throw error;
    // Another run of this turn stored first (a retry racing a slow original): keep its answer. This
    // run's transaction, and the job's completion in it, rolled back: complete the job on its own.
    await completeJob?.(services.sql);
    return storedResult(services, tenant, await em.findOneOrFail(AgentTurn, { inboundMessageId: ids.messageId }));
  } finally {
    if (reservation) services.jobs.settle(reservation); // not stored: the place goes back (no-op once settled)
  }
}

async function storedResult(services: Services, tenant: TenantInfo, turn: AgentTurn): Promise<TurnResult> {
  const reply = turn.replyMessageId ? await tenantEntityManager(services, tenant.id).findOne(Communication, { id: turn.replyMessageId }) : null;
  return { reply: reply?.body ?? null, outcome: turn.outcome as Decision['outcome'], replyMessageId: turn.replyMessageId ?? null, turnId: turn.id };
}

/**
 * Stores the turn in one transaction: the rare changes that go through the modules (STOP/START
 * consent, the ticket for a failed model) first, in an ORM transaction, then the reply with its event
 * and delivery job, the turn and the conversation's state in one statement (every message comes
 * through here, usually in a transaction of prepared statements alone).
 */
async function store(
  services: Services,
  tenant: TenantInfo,
  ids: { conversationId: string; messageId: string },
  channel: Conversation['channel'],
  decision: Decision,
  /** `verifiedAs`: the patient the conversation was verified as when the turn began. */
  options: { started: number; startedAt: Date; verifiedAs: string | null; claimDelivery: boolean },
  completeJob: JobContext['complete'] | undefined,
): Promise<Stored> {
  const modelFailed = decision.mode === 'guided' && decision.model;
  const inTransaction = <T>(work: (sql: Sql) => Promise<T>): Promise<T> =>
    decision.optOut || modelFailed
      ? tenantEntityManager(services, tenant.id).transactional(async (transaction) => {
          const conversation = await transaction.findOneOrFail(Conversation, { id: ids.conversationId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
          const ctx = createContext(services, callerFor(tenant, conversation, services.clock.now()), transaction);
          if (decision.optOut) await applyOptOut(ctx, conversation, decision.optOut);
          if (modelFailed) await reportModelFailure(ctx, conversation, decision.fallbackReason ?? 'the model failed');
          await transaction.flush();
          return work(ormSql(transaction));
        })
      : services.sql.transaction(work);
  return inTransaction(async (sql) => {
    const [row] = await sql.query<Record<string, unknown>>(lockForReply(services.orm, { tenantId: tenant.id, conversationId: ids.conversationId, flushed: repliesInline(channel) }));
    const conversation = row && readLockedForReply(services.orm, row);
    if (!conversation) throw new Error(`Conversation ${ids.conversationId} was not found`);
    const now = services.clock.now();
    const reply = decision.reply ? outboundRows(tenant.id, { id: ids.conversationId, channel, patientId: conversation.patientId }, { body: decision.reply, authorKind: decision.authorKind }, now) : null;
    // The delivery goes in claimed unless another of the conversation's deliveries is waiting: decided
    // in the writes' statement, after the lock (every delivery job is inserted under it).
    const delivery = reply?.delivery && options.claimDelivery ? insertClaimedUnlessWaiting(services.orm, reply.delivery, services.jobs.claimUntil()) : null;
    const jobs = (reply?.jobs ?? []).filter((job) => job !== reply?.delivery || !delivery);
    const outcome = decision.outcome === 'replied' && conversation.handledBy === 'staff' ? 'handed_off' : decision.outcome;
    const turn: AgentTurn = {
      id: newId(),
      tenantId: tenant.id,
      conversationId: ids.conversationId,
      inboundMessageId: ids.messageId,
      mode: decision.mode,
      model: decision.model,
      outcome,
      fallbackReason: decision.fallbackReason,
      steps: decision.steps,
      replyMessageId: reply?.message.id ?? null,
      durationMs: performance.now() - options.started,
      startedAt: options.startedAt,
      createdAt: now,
      updatedAt: now,
    };
    const state = decision.guidedState ? JSON.stringify({ ...conversation.state, guided: decision.guidedState }) : null;
    // A turn that began verified and ends after the check lapsed, or with someone else verified on the
    // number, answered from that patient's records: its reply is the last the agent reads of them.
    const stillVerifiedAs = conversation.verifiedUntil != null && conversation.verifiedUntil > now ? (conversation.patientId ?? null) : null;
    const leftBehind = options.verifiedAs !== null && stillVerifiedAs !== options.verifiedAs;
    const writes = [
      ...(reply ? [insertRows(services.orm, Communication, [reply.message]), insertRows(services.orm, DomainEvent, [reply.event])] : []),
      ...(jobs.length > 0 ? [insertRows(services.orm, Job, jobs)] : []),
      ...(delivery?.writes ?? []),
      insertRows(services.orm, AgentTurn, [turn]),
      touchAfterTurn({ tenantId: tenant.id, conversationId: ids.conversationId, state, repliedAt: reply ? now : null, leftBehind, now }),
    ];
    const reads = `${delivery?.claimed ?? 'false'} as "deliveryClaimed"`;
    const { deliveryClaimed } = completeJob ? await completeJob(sql, writes, reads) : await executeAll(sql, writes, reads);
    const claimedDelivery = deliveryClaimed === true ? delivery!.claimedRow : null;
    const pendingJobIds = (reply?.jobs ?? []).map((job) => job.id).filter((id) => id !== claimedDelivery?.id);
    return { reply: decision.reply, outcome, replyMessageId: turn.replyMessageId ?? null, turnId: turn.id, claimedDelivery, pendingJobIds };
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
