import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import twilio from 'twilio';
import type { Services, TenantInfo } from '../../context.js';
import { clinicProfile } from '../../modules/conversations/clinic.js';
import { awaitAnswer, storedAnswer, type TurnAnswer } from '../../agent/await-turn.js';
import { Message } from '../../modules/conversations/entities.js';
import { receiveInbound } from '../../modules/conversations/inbound.js';
import { tenantEntityManager } from '../../tools/runner.js';
import { clinicByNumber, bareAddress, readTwilioRequest } from './webhook.js';

const VOICE_PATH = '/channels/twilio/voice';
/** Twilio waits 15 s for an answer; answer well before, and keep the caller company if the turn is slow. */
const ANSWER_WITHIN_MS = 9_000;
const MAX_WAITS = 5;

type VoiceResponse = InstanceType<typeof twilio.twiml.VoiceResponse>;

const twimlResponse = (c: Context, response: VoiceResponse) => c.body(response.toString(), 200, { 'content-type': 'text/xml' });

/** Says `text` inside a speech gather, so the caller can answer, or interrupt, and be heard. */
function sayAndListen(response: VoiceResponse, text: string): void {
  const gather = response.gather({ input: ['speech'], action: VOICE_PATH, method: 'POST', speechTimeout: 'auto' });
  gather.say(text);
  response.say('Sorry, I did not hear anything. Goodbye.');
}

/** What to say once the turn has answered: its reply, then listen again, or connect a person. */
async function speakAnswer(c: Context, services: Services, tenant: TenantInfo, messageId: string, result: TurnAnswer | undefined, waits: number) {
  const response = new twilio.twiml.VoiceResponse();
  if (!result) {
    if (waits >= MAX_WAITS) {
      response.say('Sorry, this is taking too long. Please call again later, or send us a message.');
      return twimlResponse(c, response);
    }
    response.say('One moment, please.');
    response.pause({ length: 1 });
    response.redirect({ method: 'POST' }, `${VOICE_PATH}?pending=${messageId}&waits=${waits + 1}`);
    return twimlResponse(c, response);
  }
  if (result.outcome === 'handed_off') {
    const clinic = await clinicProfile(tenantEntityManager(services, tenant.id), tenant.id);
    response.say(result.reply ?? 'Let me connect you with our team.');
    if (clinic.phone) response.dial(clinic.phone);
    return twimlResponse(c, response);
  }
  sayAndListen(response, result.reply ?? 'How else can I help you?');
  return twimlResponse(c, response);
}

/**
 * The voice webhook. A new call is greeted and listened to; each recognized utterance is stored as a
 * message and answered by the same turn loop as text, spoken back with the next gather; a handoff
 * dials the clinic's phone.
 */
export async function voiceWebhook(c: Context, services: Services): Promise<Response> {
  const { params, tenant } = await readTwilioRequest(c, services, clinicByNumber(services));
  const pending = c.req.query('pending');
  if (pending) return speakAnswer(c, services, tenant, pending, await storedAnswer(services, tenant, pending), Number(c.req.query('waits') ?? MAX_WAITS));

  const speech = params.SpeechResult?.trim();
  if (!speech) {
    const clinic = await clinicProfile(tenantEntityManager(services, tenant.id), tenant.id);
    const response = new twilio.twiml.VoiceResponse();
    sayAndListen(response, `Hello, you have reached ${clinic.name}. I am the clinic's assistant. How can I help you?`);
    return twimlResponse(c, response);
  }

  // One utterance of one call is one message: Twilio's retry of the same request is stored once.
  const channelMessageId = `${params.CallSid ?? 'call'}:${createHash('sha256').update(speech).digest('base64url').slice(0, 16)}`;
  const received = await receiveInbound(services, tenant, { channel: 'voice', contact: bareAddress(params.From), clinicAddress: bareAddress(params.To), body: speech, channelMessageId });
  const messageId =
    received.messageId ?? (await tenantEntityManager(services, tenant.id).findOneOrFail(Message, { channelMessageId })).id;
  return speakAnswer(c, services, tenant, messageId, await awaitAnswer(services, tenant, messageId, received.turnJobId, ANSWER_WITHIN_MS), 0);
}
