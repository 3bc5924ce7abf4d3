import type { EntityManager } from '@mikro-orm/postgresql';
import type { Services, TenantInfo } from '../context.js';
import type { ClinicProfile } from '../modules/conversations/clinic.js';
import type { Conversation } from '../modules/conversations/entities.js';
import { historyFloor, isVerified } from '../modules/conversations/views.js';
import { errorSummary } from '../log.js';
import { Patient } from '../modules/patients/entities.js';
import { agentTools, type ToolCaller } from '../tools/ai-sdk.js';
import { guidedTurn } from './guided/engine.js';
import type { GuidedState } from './guided/types.js';
import { filesReceived } from './files-received.js';
import { conversationHistory } from './history.js';
import { asksForPerson, carrierKeyword } from './keywords.js';
import { modelTurn } from './model-turn.js';
import { systemPrompt } from './prompt.js';
import { agentCaller } from './tool-caller.js';
import type { AnsweredMessage } from './turn-input.js';

/** What a turn decided to do, before it is stored. */
export type Decision = {
  reply: string | null;
  /** `system` for carrier confirmations: the only messages sent to an opted-out number. */
  authorKind: 'bot' | 'system';
  outcome: 'replied' | 'handed_off' | 'silent' | 'opted_out' | 'opted_in';
  mode: 'model' | 'guided';
  model: string | null;
  fallbackReason: string | null;
  steps: unknown[];
  guidedState?: GuidedState;
  optOut?: 'out' | 'in';
};

export type TurnInput = {
  services: Services;
  tenant: TenantInfo;
  em: EntityManager;
  conversation: Conversation;
  message: AnsweredMessage;
  clinic: ClinicProfile;
  call: ToolCaller;
};

const carrierReplies = {
  opt_out: (clinic: ClinicProfile) => `You are unsubscribed from ${clinic.name} messages and will get no more. Reply START to subscribe again.`,
  opt_in: (clinic: ClinicProfile) => `You are subscribed again to ${clinic.name} messages. Reply HELP for help, STOP to stop.`,
  help: (clinic: ClinicProfile) =>
    `${clinic.name}: tell us what you need, for example "my appointments", or AGENT for a person.${clinic.phone ? ` Call ${clinic.phone}.` : ''} Reply STOP to opt out.`,
};

/** Decides the answer to one inbound message: carrier rules, then staff mode, then the model or guided mode. */
export async function decide(input: TurnInput): Promise<Decision> {
  const { conversation, message, clinic } = input;
  const base = { authorKind: 'bot' as const, mode: 'guided' as const, model: null, fallbackReason: null, steps: [] };

  const keyword = carrierKeyword(conversation.channel, message.body, conversation.optedOutAt != null);
  if (keyword) {
    const outcome = keyword === 'opt_out' ? 'opted_out' : keyword === 'opt_in' ? 'opted_in' : 'replied';
    const optOut = keyword === 'opt_out' ? 'out' : keyword === 'opt_in' ? 'in' : undefined;
    return { ...base, authorKind: 'system', reply: carrierReplies[keyword](clinic), outcome, optOut };
  }
  if (conversation.optedOutAt || conversation.handledBy === 'staff') return { ...base, reply: null, outcome: 'silent' };

  if (asksForPerson(message.body)) {
    const handoff = await input.call('handoff_to_staff', { reason: 'The patient asked for a person.' });
    const steps = [{ toolCalls: [{ tool: 'handoff_to_staff' }], toolResults: [handoff.ok ? handoff.output : { error: handoff.error.message }] }];
    const reply = handoff.ok ? (handoff.output as { message: string }).message : `Please call us${clinic.phone ? ` at ${clinic.phone}` : ''}; we could not reach the team from here.`;
    return { ...base, reply, outcome: handoff.ok ? 'handed_off' : 'replied', steps };
  }

  // Files are for staff to look at: neither engine reads them, and a photo is no answer to a question.
  if (message.media.length > 0) return filesReceived(input);

  const agent = input.services.agentModel;
  if (!agent) return guided(input, clinic, 'no model is configured');
  try {
    return await modelDecision(input, clinic);
  } catch (error) {
    input.services.log.warn({ err: error, conversationId: conversation.id }, 'model failed; answering in guided mode');
    return { ...(await guided(input, clinic, `the model failed: ${errorSummary(error)}`)), model: agent.id };
  }
}

/** The patient the conversation is verified as at the start of the turn, or null. */
const verifiedPatientId = (input: TurnInput): string | null =>
  isVerified(input.conversation, input.services.clock.now()) ? (input.conversation.patientId ?? null) : null;

async function patientFirstName(input: TurnInput): Promise<string | null> {
  const patientId = verifiedPatientId(input);
  if (!patientId) return null;
  const patient = await input.em.findOne(Patient, { id: patientId });
  return patient ? (patient.preferredName ?? patient.givenName) : null;
}

async function guided(input: TurnInput, clinic: ClinicProfile, fallbackReason: string): Promise<Decision> {
  const result = await guidedTurn({
    text: input.message.body,
    messageKey: input.message.channelMessageId ?? input.message.id,
    state: input.conversation.state.guided as GuidedState | undefined,
    call: input.call,
    clinic,
    now: input.services.clock.now(),
    channel: input.conversation.channel,
    patientId: verifiedPatientId(input),
    verifiedPatient: async () => (await agentCaller(input.services, input.tenant, input.conversation.id)).subject?.patientId ?? null,
    givenName: await patientFirstName(input),
  });
  return {
    reply: result.reply,
    authorKind: 'bot',
    outcome: result.handedOff ? 'handed_off' : 'replied',
    mode: 'guided',
    model: null,
    fallbackReason,
    steps: [],
    guidedState: result.state,
  };
}

async function modelDecision(input: TurnInput, clinic: ClinicProfile): Promise<Decision> {
  const agent = input.services.agentModel;
  if (!agent) throw new Error('no model');
  const operations = input.services.registry.operations.filter((operation) => operation.access.patientFacing);
  const { text, steps } = await modelTurn({
    agent,
    system: systemPrompt({
      clinic,
      now: input.services.clock.now(),
      channel: input.conversation.channel,
      verified: isVerified(input.conversation, input.services.clock.now()),
      givenName: await patientFirstName(input),
    }),
    messages: await conversationHistory(input.services.sql, input.tenant.id, input.message, {
      limit: input.services.config.agent.historyMessages,
      floor: historyFloor(input.conversation, input.services.clock.now()),
    }),
    tools: agentTools(operations, input.call),
  });
  if (!text) throw new Error('the model ended its turn without a reply');
  // Whether a handoff happened is read from the conversation when the turn is stored.
  return { reply: text, authorKind: 'bot', outcome: 'replied', mode: 'model', model: agent.id, fallbackReason: null, steps };
}
