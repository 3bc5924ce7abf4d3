import { formatReply } from '../../src/agent/format.js';
import { guidedTurn } from '../../src/agent/guided/engine.js';
import type { GuidedInput, GuidedResult, GuidedState } from '../../src/agent/guided/types.js';
import { agentCaller, conversationToolCaller } from '../../src/agent/tool-caller.js';
import { newId } from '../../src/ids.js';
import { clinicProfile } from '../../src/modules/conversations/clinic.js';
import { Conversation } from '../../src/modules/conversations/entities.js';
import { isVerified } from '../../src/modules/conversations/views.js';
import { Patient } from '../../src/modules/patients/entities.js';
import { tenantEntityManager } from '../../src/tools/runner.js';
import type { Harness, TestTenant } from './harness.js';

/** Guided mode driven directly, turn by turn (the clinic, patients and threads come from clinic-fixture.ts). */

export const loadConversation = (harness: Harness, clinic: TestTenant, id: string) =>
  tenantEntityManager(harness.services, clinic.tenant.id).findOneOrFail(Conversation, { id });

export type Chat = {
  /** One patient message through guided mode, as the orchestrator would run it; the state carries over. */
  send(text: string): Promise<GuidedResult>;
  state(): GuidedState | undefined;
};

/**
 * Drives guided mode turn by turn the way the turn loop does: a fresh message id per turn (it only
 * feeds idempotency keys), the verified patient and their first name read from the conversation row each time,
 * the reply formatted for the channel.
 */
export function guidedChat(harness: Harness, clinic: TestTenant, options: { conversationId: string; channel?: GuidedInput['channel'] }): Chat {
  let state: GuidedState | undefined;
  return {
    state: () => state,
    async send(text) {
      const now = harness.services.clock.now();
      const conversation = await loadConversation(harness, clinic, options.conversationId);
      const patientId = isVerified(conversation, now) ? (conversation.patientId ?? null) : null;
      const patient = patientId ? await tenantEntityManager(harness.services, clinic.tenant.id).findOne(Patient, { id: patientId }) : null;
      const messageId = newId();
      const result = await guidedTurn({
        text,
        messageKey: messageId,
        state,
        call: conversationToolCaller(harness.services, clinic.tenant, { conversationId: options.conversationId, messageId }),
        clinic: await clinicProfile(harness.services.orm.em.fork(), clinic.tenant.id),
        now,
        channel: options.channel ?? conversation.channel,
        patientId,
        verifiedPatient: async () => (await agentCaller(harness.services, clinic.tenant, options.conversationId)).subject?.patientId ?? null,
        givenName: patient ? (patient.preferredName ?? patient.givenName) : null,
        preferredLanguage: patient?.preferredLanguage ?? null,
      });
      // What the orchestrator stores is JSON: a round trip proves the state is.
      state = JSON.parse(JSON.stringify(result.state));
      // As every reply leaves the agent: written for its channel.
      return { ...result, reply: formatReply(result.reply, options.channel ?? conversation.channel) };
    },
  };
}
