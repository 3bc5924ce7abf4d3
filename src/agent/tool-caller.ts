import { createHash } from 'node:crypto';
import type { Caller, Services, TenantInfo } from '../context.js';
import { Conversation } from '../modules/conversations/entities.js';
import { isVerified } from '../modules/conversations/views.js';
import type { ToolCaller } from '../tools/ai-sdk.js';
import { runOperation, tenantEntityManager } from '../tools/runner.js';
import { stableJson } from '../tools/stable-json.js';

/**
 * Who the agent is when it calls a tool in this conversation: actor `agent`, the conversation's
 * channel, and the patient only while the conversation's identity check holds.
 */
export function callerFor(tenant: TenantInfo, conversation: Conversation, now: Date): Caller {
  const verified = isVerified(conversation, now);
  return {
    tenant,
    actor: { kind: 'agent', id: 'assistant', role: 'agent' },
    channel: conversation.channel,
    conversationId: conversation.id,
    subject: { patientId: verified ? (conversation.patientId ?? null) : null, verified },
  };
}

/** The agent's caller as the conversation stands now (read again: a verification may just have happened). */
export async function agentCaller(services: Services, tenant: TenantInfo, conversationId: string): Promise<Caller> {
  const conversation = await tenantEntityManager(services, tenant.id).findOneOrFail(Conversation, { id: conversationId });
  return callerFor(tenant, conversation, services.clock.now());
}

/**
 * Runs the conversation's tool calls through the runner. The caller is read again for every call, so
 * a verification in this turn counts at once. Writes carry an idempotency key made of the message
 * answered, the tool and the input: a turn re-run after a crash, or the same call repeated by the
 * model, changes nothing twice.
 */
export function conversationToolCaller(services: Services, tenant: TenantInfo, turn: { conversationId: string; messageId: string }): ToolCaller {
  return async (tool, input) => {
    const caller = await agentCaller(services, tenant, turn.conversationId);
    const writes = services.registry.get(tool)?.annotations.readOnly === false;
    const digest = createHash('sha256').update(stableJson(input)).digest('base64url').slice(0, 22);
    return runOperation(services, caller, { tool, input, idempotencyKey: writes ? `turn:${turn.messageId}:${tool}:${digest}` : undefined });
  };
}
