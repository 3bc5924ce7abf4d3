import { setTimeout as sleep } from 'node:timers/promises';
import type { Services, TenantInfo } from '../context.js';
import { AgentTurn } from '../modules/conversations/entities.js';
import { Communication } from '../modules/communications/entities.js';
import { tenantEntityManager } from '../tools/runner.js';

export type TurnAnswer = { reply: string | null; outcome: string };

/** The stored turn that answered `messageId`, if it has finished. */
export async function storedAnswer(services: Services, tenant: TenantInfo, messageId: string): Promise<TurnAnswer | undefined> {
  const em = tenantEntityManager(services, tenant.id);
  const turn = await em.findOne(AgentTurn, { inboundMessageId: messageId });
  if (!turn) return undefined;
  const reply = turn.replyMessageId ? await em.findOne(Communication, { id: turn.replyMessageId }) : null;
  return { reply: reply?.body ?? null, outcome: turn.outcome };
}

/**
 * Waits up to `withinMs` for the answer to `messageId`, for channels that answer in the same exchange
 * (a voice call, the terminal). Runs the turn's job right here when it can (the fastest path), else
 * watches for the worker that has it. The turn is never cut short: past the deadline it still
 * finishes and is stored, and undefined is returned.
 */
export async function awaitAnswer(services: Services, tenant: TenantInfo, messageId: string, jobId: string | null, withinMs: number): Promise<TurnAnswer | undefined> {
  const deadline = Date.now() + withinMs;
  if (jobId) await Promise.race([services.jobs.runNow(jobId), sleep(withinMs)]);
  for (;;) {
    const answer = await storedAnswer(services, tenant, messageId);
    if (answer || Date.now() >= deadline) return answer;
    services.jobs.nudge();
    await sleep(25);
  }
}
