import { randomUUID } from 'node:crypto';
import { AgentTurn, Conversation } from '../../src/modules/conversations/entities.js';
import { Communication, type MediaReference } from '../../src/modules/communications/entities.js';
import { receiveInbound } from '../../src/modules/communications/inbound.js';
import type { Harness, TestTenant } from './harness.js';

/**
 * A patient writing to the clinic: each `say` stores the message as a webhook would, runs the
 * tenant's jobs (the turn, the delivery) and returns what the clinic answered.
 */
export function patientOn(harness: Harness, clinic: TestTenant, contact: string, channel: 'whatsapp' | 'sms' | 'chat' | 'voice' = 'whatsapp') {
  const em = () => {
    const fork = harness.services.orm.em.fork();
    fork.setFilterParams('tenant', { tenantId: clinic.tenant.id });
    return fork;
  };
  return {
    /** `media`: files sent with the message, as Twilio's MediaUrlN and MediaContentTypeN. */
    async say(body: string, media: MediaReference[] = []): Promise<{ reply: string | null; turn: AgentTurn; conversationId: string }> {
      const received = await receiveInbound(harness.services, clinic.tenant, { channel, contact, body, media, channelMessageId: `SM${randomUUID().replaceAll('-', '')}` });
      await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
      const turn = await em().findOneOrFail(AgentTurn, { inboundMessageId: received.messageId });
      const reply = turn.replyMessageId ? await em().findOneOrFail(Communication, { id: turn.replyMessageId }) : null;
      return { reply: reply?.body ?? null, turn, conversationId: received.conversationId };
    },
    conversation: () => em().findOneOrFail(Conversation, { tenantId: clinic.tenant.id, channel, contact }),
    thread: async () => {
      const conversation = await em().findOneOrFail(Conversation, { channel, contact });
      return em().find(Communication, { conversationId: conversation.id }, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    },
  };
}

export const randomSid = (prefix = 'SM') => `${prefix}${randomUUID().replaceAll('-', '')}`;
