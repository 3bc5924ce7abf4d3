import type { Context } from 'hono';
import twilio from 'twilio';
import { z } from 'zod';
import type { Services, TenantInfo } from '../../context.js';
import { fromZodError, invalid } from '../../errors.js';
import { clinicProfile, type ClinicProfile } from '../../modules/conversations/clinic.js';
import { awaitAnswer, storedAnswer, type TurnAnswer } from '../../agent/await-turn.js';
import { Communication } from '../../modules/communications/entities.js';
import { receiveInbound } from '../../modules/communications/inbound.js';
import { Id } from '../../schema.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { clinicByNumber, bareAddress, readTwilioRequest } from './webhook.js';
import { detectLanguage } from '../../agent/detect-language.js';
import { repliesIn, type Replies } from '../../agent/guided/replies/index.js';
import { supportedLanguage, type Language } from '../../agent/language.js';

const VOICE_PATH = '/channels/twilio/voice';
/** Twilio waits 15 s for an answer; answer well before, and keep the caller company if the turn is slow. */
const ANSWER_WITHIN_MS = 9_000;
const MAX_WAITS = 5;

type VoiceResponse = InstanceType<typeof twilio.twiml.VoiceResponse>;

/** A count in our own URLs: digits only, a few of them. */
const Count = (max: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, 'a whole number')
    .transform(Number)
    .refine((value) => value <= max, `at most ${max}`);

/**
 * The query of the URLs this webhook writes into its own TwiML (a gather's action, a redirect), which
 * Twilio signs with the rest. `utterance` numbers the caller's utterances within the call: what tells
 * two gathers of one call apart, since Twilio sends no id of its own per gather (its retry of a
 * request repeats the URL, and so the number). A gather written before the number was carried (a call
 * in progress during an upgrade) counts as the first.
 */
const VoiceQuery = z.object({
  pending: Id.optional(),
  waits: Count(MAX_WAITS).optional(),
  utterance: Count(99_999).default(1),
});

const twimlResponse = (c: Context, response: VoiceResponse) => c.body(response.toString(), 200, { 'content-type': 'text/xml' });

/**
 * The language a call is spoken and heard in at this point: the language of what the agent just said
 * (its replies are in the caller's language), else the clinic's. Twilio's voices and speech
 * recognition take a locale; English is Twilio's default and is left unsaid.
 */
type CallLanguage = { say: Replies; locale: 'es-MX' | undefined };
const callLanguage = (language: Language): CallLanguage => ({ say: repliesIn[language], locale: language === 'es' ? 'es-MX' : undefined });
/** The clinic is read only when the reply does not say (most replies do): every utterance comes through here. */
const spokenIn = async (reply: string | null, clinic: () => Promise<ClinicProfile>): Promise<CallLanguage> =>
  callLanguage((reply ? detectLanguage(reply) : undefined) ?? supportedLanguage((await clinic()).locale) ?? 'en');

/** Says `text` inside a speech gather for the call's `utterance`-th utterance, so the caller can answer, or interrupt, and be heard. */
function sayAndListen(response: VoiceResponse, text: string, utterance: number, language: CallLanguage): void {
  const listening = language.locale ? { language: language.locale } : {};
  const gather = response.gather({ input: ['speech'], action: `${VOICE_PATH}?utterance=${utterance}`, method: 'POST', speechTimeout: 'auto', ...listening });
  gather.say(listening, text);
  response.say(listening, language.say.callNothingHeard);
}

type Answering = { messageId: string; utterance: number; waits: number };

/** What to say once the turn has answered: its reply, then listen for the next utterance, or connect a person. */
async function speakAnswer(c: Context, services: Services, tenant: TenantInfo, answering: Answering, result: TurnAnswer | undefined) {
  const response = new twilio.twiml.VoiceResponse();
  const clinic = () => clinicProfile(tenantEntityManager(services, tenant.id), tenant.id);
  const language = await spokenIn(result?.reply ?? null, clinic);
  const speaking = language.locale ? { language: language.locale } : {};
  if (!result) {
    if (answering.waits >= MAX_WAITS) {
      response.say(speaking, language.say.callTooSlow);
      return twimlResponse(c, response);
    }
    response.say(speaking, language.say.callOneMoment);
    response.pause({ length: 1 });
    response.redirect({ method: 'POST' }, `${VOICE_PATH}?pending=${answering.messageId}&waits=${answering.waits + 1}&utterance=${answering.utterance}`);
    return twimlResponse(c, response);
  }
  if (result.outcome === 'handed_off') {
    response.say(speaking, result.reply ?? language.say.callConnecting);
    const phone = (await clinic()).phone;
    if (phone) response.dial(phone);
    return twimlResponse(c, response);
  }
  sayAndListen(response, result.reply ?? language.say.callAnythingElse, answering.utterance + 1, language);
  return twimlResponse(c, response);
}

/**
 * The voice webhook. A new call is greeted and listened to; each recognized utterance is stored as a
 * message and answered by the same turn loop as text, spoken back with the next gather; a handoff
 * dials the clinic's phone.
 */
export async function voiceWebhook(c: Context, services: Services): Promise<Response> {
  const { params, tenant } = await readTwilioRequest(c, services, clinicByNumber(services));
  const query = VoiceQuery.safeParse(c.req.query());
  if (!query.success) throw fromZodError(query.error);
  const { pending, utterance } = query.data;
  if (pending) {
    return speakAnswer(c, services, tenant, { messageId: pending, utterance, waits: query.data.waits ?? MAX_WAITS }, await storedAnswer(services, tenant, pending));
  }

  const speech = params.SpeechResult?.trim();
  if (!speech) {
    const clinic = await clinicProfile(tenantEntityManager(services, tenant.id), tenant.id);
    const response = new twilio.twiml.VoiceResponse();
    const language = await spokenIn(null, async () => clinic);
    sayAndListen(response, language.say.callGreeting(clinic.name), utterance, language);
    return twimlResponse(c, response);
  }
  if (!params.CallSid) throw invalid('CallSid is missing.', [{ path: 'CallSid', message: 'required' }]);

  // One utterance of one call is one message: Twilio's retry of the same request is stored once, and
  // the same words said again later are a message of their own.
  const channelMessageId = `${params.CallSid}:${utterance}`;
  const received = await receiveInbound(services, tenant, { channel: 'voice', contact: bareAddress(params.From), clinicAddress: bareAddress(params.To), body: speech, channelMessageId });
  const messageId =
    received.messageId ?? (await tenantEntityManager(services, tenant.id).findOneOrFail(Communication, { channelMessageId })).id;
  return speakAnswer(c, services, tenant, { messageId, utterance, waits: 0 }, await awaitAnswer(services, tenant, messageId, received.turnJobId, ANSWER_WITHIN_MS));
}
