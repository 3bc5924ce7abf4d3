import type { EntityManager } from '@mikro-orm/postgresql';
import type { Services, TenantInfo } from '../context.js';
import type { ClinicProfile } from '../modules/conversations/clinic.js';
import type { Conversation } from '../modules/conversations/entities.js';
import { historyFloor, isVerified } from '../modules/conversations/views.js';
import { errorSummary } from '../log.js';
import { Patient } from '../modules/patients/entities.js';
import { agentTools, type ToolCaller } from '../tools/ai-sdk.js';
import { guidedTurn } from './guided/engine.js';
import { join, repliesIn, type Replies } from './guided/replies/index.js';
import { keptLanguage } from './guided/state.js';
import type { GuidedState } from './guided/types.js';
import { detectLanguage, otherScript } from './detect-language.js';
import { filesReceived } from './files-received.js';
import { formatReply } from './format.js';
import { conversationHistory } from './history.js';
import { asksForPerson, carrierKeyword } from './keywords.js';
import { languages, pickLanguage, type Language } from './language.js';
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

/** The verified patient as the agent addresses them, read once per turn (null: not verified). */
type Addressee = { givenName: string; preferredLanguage: string | null } | null;

/** What a turn knows of whom it answers: the patient (read when first needed), and the language to answer in. */
type Audience = TurnInput & { patient(): Promise<Addressee>; language(): Promise<Language> };

/**
 * Decides the answer to one inbound message, written for its channel: the one place replies leave
 * the agent, so guided mode's knowledge answers and the model's replies alike are formatted once
 * (format.ts), whatever produced them.
 */
export async function decide(turn: TurnInput): Promise<Decision> {
  const decision = await answer(audience(turn));
  return decision.reply === null ? decision : { ...decision, reply: formatReply(decision.reply, turn.conversation.channel) };
}

/** The answer: carrier rules, then staff mode, a person asked for, files, another script, then the model or guided mode. */
async function answer(input: Audience): Promise<Decision> {
  const { conversation, message, clinic } = input;
  const base = { authorKind: 'bot' as const, mode: 'guided' as const, model: null, fallbackReason: null, steps: [] };
  const say = async (): Promise<Replies> => repliesIn[await input.language()];

  const keyword = carrierKeyword(conversation.channel, message.body, conversation.optedOutAt != null);
  if (keyword) {
    const outcome = keyword === 'opt_out' ? 'opted_out' : keyword === 'opt_in' ? 'opted_in' : 'replied';
    const optOut = keyword === 'opt_out' ? 'out' : keyword === 'opt_in' ? 'in' : undefined;
    const replies = await say();
    const reply = keyword === 'opt_out' ? replies.optedOut(clinic.name) : keyword === 'opt_in' ? replies.optedIn(clinic.name) : replies.carrierHelp(clinic);
    return { ...base, authorKind: 'system', reply, outcome, optOut };
  }
  if (conversation.optedOutAt || conversation.handledBy === 'staff') return { ...base, reply: null, outcome: 'silent' };

  if (asksForPerson(message.body)) {
    const handoff = await input.call('handoff_to_staff', { reason: 'The patient asked for a person.' });
    const steps = [{ toolCalls: [{ tool: 'handoff_to_staff' }], toolResults: [handoff.ok ? handoff.output : { error: handoff.error.message }] }];
    // The operation's message is English; the same news is told in the patient's language.
    const reply = handoff.ok ? (await say()).handedOff(clinic) : (await say()).handoffFailed(clinic.phone);
    return { ...base, reply, outcome: handoff.ok ? 'handed_off' : 'replied', steps };
  }

  // Files are for staff to look at: neither engine reads them, and a photo is no answer to a question.
  if (message.media.length > 0) return filesReceived(input, await say());

  // A script neither language is written in (Cyrillic, Chinese, Arabic…): said in both that the
  // clinic answers in English or Spanish, with a person on offer. A step in progress still waits.
  if (otherScript(message.body)) return { ...base, reply: join(...languages.map((language) => repliesIn[language].otherLanguage)), outcome: 'replied' };

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

/**
 * The turn with its patient read at most once, and its language: the message's when it is clearly
 * written in one, else the one the conversation kept, else the patient's preferred one, else the
 * clinic's (see pickLanguage; guided mode picks the same way, from its own state).
 */
function audience(input: TurnInput): Audience {
  let patient: Promise<Addressee> | undefined;
  const readPatient = async (): Promise<Addressee> => {
    const patientId = verifiedPatientId(input);
    const found = patientId ? await input.em.findOne(Patient, { id: patientId }) : null;
    return found ? { givenName: found.preferredName ?? found.givenName, preferredLanguage: found.preferredLanguage ?? null } : null;
  };
  const loaded = () => (patient ??= readPatient());
  return {
    ...input,
    patient: loaded,
    language: async () => {
      const detected = detectLanguage(input.message.body);
      const kept = keptLanguage(input.conversation.state.guided as GuidedState | undefined);
      // The patient is read only when neither the message nor the conversation says the language.
      const preferred = detected || kept ? null : (await loaded())?.preferredLanguage;
      return pickLanguage({ detected, kept, preferred, clinic: input.clinic.locale });
    },
  };
}

async function guided(input: Audience, clinic: ClinicProfile, fallbackReason: string): Promise<Decision> {
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
    givenName: (await input.patient())?.givenName ?? null,
    preferredLanguage: (await input.patient())?.preferredLanguage ?? null,
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

async function modelDecision(input: Audience, clinic: ClinicProfile): Promise<Decision> {
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
      givenName: (await input.patient())?.givenName ?? null,
      language: await input.language(),
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
