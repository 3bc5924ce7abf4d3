import type { Context } from 'hono';
import twilio from 'twilio';
import { z } from 'zod';
import type { Services, TenantInfo } from '../../context.js';
import { fromZodError, invalid } from '../../errors.js';
import { clinicProfile } from '../../modules/conversations/clinic.js';
import { awaitAnswer, storedAnswer, type TurnAnswer } from '../../agent/await-turn.js';
import { Communication } from '../../modules/communications/entities.js';
import { receiveInbound } from '../../modules/communications/inbound.js';
import { Id } from '../../schema.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { clinicByNumber, bareAddress, readTwilioRequest } from './webhook.js';

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

/** Says `text` inside a speech gather for the call's `utterance`-th utterance, so the caller can answer, or interrupt, and be heard. */
function sayAndListen(response: VoiceResponse, text: string, utterance: number): void {
  const gather = response.gather({ input: ['speech'], action: `${VOICE_PATH}?utterance=${utterance}`, method: 'POST', speechTimeout: 'auto' });
  gather.say(text);
  response.say('Sorry, I did not hear anything. Goodbye.');
}

type Answering = { messageId: string; utterance: number; waits: number };

/** What to say once the turn has answered: its reply, then listen for the next utterance, or connect a person. */
async function speakAnswer(c: Context, services: Services, tenant: TenantInfo, answering: Answering, result: TurnAnswer | undefined) {
  const response = new twilio.twiml.VoiceResponse();
  if (!result) {
    if (answering.waits >= MAX_WAITS) {
      response.say('Sorry, this is taking too long. Please call again later, or send us a message.');
      return twimlResponse(c, response);
    }
    response.say('One moment, please.');
    response.pause({ length: 1 });
    response.redirect({ method: 'POST' }, `${VOICE_PATH}?pending=${answering.messageId}&waits=${answering.waits + 1}&utterance=${answering.utterance}`);
    return twimlResponse(c, response);
  }
  if (result.outcome === 'handed_off') {
    const clinic = await clinicProfile(tenantEntityManager(services, tenant.id), tenant.id);
    response.say(result.reply ?? 'Let me connect you with our team.');
    if (clinic.phone) response.dial(clinic.phone);
    return twimlResponse(c, response);
  }
  sayAndListen(response, result.reply ?? 'How else can I help you?', answering.utterance + 1);
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
    sayAndListen(response, `Hello, you have reached ${clinic.name}. I am the clinic's assistant. How can I help you?`, utterance);
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
