import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentTurn, Conversation } from '../src/modules/conversations/entities.js';
import { Communication } from '../src/modules/communications/entities.js';
import { Tenant } from '../src/modules/tenancy/entities.js';
import { ACCOUNT_SID, API, AUTH_TOKEN, openClinic, type TestPatient } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';
import { scriptedModel, text, toolCall } from './support/mock-model.js';
import { signedTwilioRequest } from './support/twilio-api.js';

let harness: Harness;
let clinic: TestTenant;
let maria: TestPatient;
let practitionerId: string;
let CLINIC_NUMBER: string;
let service: Awaited<ReturnType<typeof listen>>;
const CLINIC_PHONE = '+12125550188';

function voice(params: Record<string, string>, options: { signal?: AbortSignal; path?: string } = {}) {
  const url = `${service.url}${options.path ?? '/channels/twilio/voice'}`;
  return fetch(url, { ...signedTwilioRequest({ url, authToken: AUTH_TOKEN, params }), signal: options.signal });
}
const call = (from: string, callSid: string, speech?: string) => ({
  CallSid: callSid,
  AccountSid: ACCOUNT_SID,
  From: from,
  To: CLINIC_NUMBER,
  CallStatus: 'in-progress',
  ...(speech ? { SpeechResult: speech, Confidence: '0.92' } : {}),
});

/** The path and query of the first <Gather>'s action: where Twilio posts what the caller says next. */
function gatherAction(twiml: string): string {
  const action = /<Gather[^>]*action="([^"]*)"/.exec(twiml)?.[1];
  if (!action) throw new Error(`No gather in ${twiml}`);
  return action.replaceAll('&amp;', '&');
}

/** The text of the first <Say> of a TwiML answer, unescaped. */
function spoken(twiml: string): string {
  const said = /<Say>([^<]*)<\/Say>/.exec(twiml)?.[1] ?? '';
  return said
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

beforeAll(async () => {
  harness = await createHarness();
  clinic = await harness.newTenant();
  const opened = await openClinic(harness, clinic);
  maria = opened.patient;
  practitionerId = opened.practitionerId;
  CLINIC_NUMBER = opened.numbers.phone;
  const em = harness.services.orm.em.fork();
  const tenant = await em.findOneOrFail(Tenant, { id: clinic.tenant.id });
  tenant.profile = { ...tenant.profile, phone: CLINIC_PHONE, hours: 'Monday to Friday 8:00-18:00' };
  await em.flush();
  service = await listen(harness.app.fetch);
});
afterAll(async () => {
  await service.close();
  await harness.close();
});

describe('the voice webhook', () => {
  it('greets a new call and listens for speech, interruptible', async () => {
    const response = await voice(call('+12125550401', randomSid('CA')));
    expect(response.status).toBe(200);
    const twiml = await response.text();
    expect(twiml).toMatch(/<Gather[^>]*input="speech"[^>]*action="\/channels\/twilio\/voice\?utterance=1"[^>]*><Say>Hello, you have reached/);
  });

  it('speaks and listens in Spanish once the caller is answered in Spanish', async () => {
    const callSid = randomSid('CA');
    const twiml = await (await voice(call('+12125550408', callSid, 'quiero ver mis citas'))).text();
    expect(twiml).toMatch(/<Gather[^>]*language="es-MX"[^>]*><Say language="es-MX">Primero, para proteger su información, diga su fecha de nacimiento/);
    expect(twiml).toContain('<Say language="es-MX">Disculpe, no escuché nada. Adiós.</Say>');
  });

  it('answers each utterance with speech and the next gather', async () => {
    harness.services.agentModel = undefined;
    const callSid = randomSid('CA');
    const twiml = await (await voice(call('+12125550402', callSid, 'what can you do'))).text();
    expect(twiml).toMatch(/<Gather[^>]*><Say>[^<]+<\/Say><\/Gather>/);
    const conversation = await harness.services.orm.em.fork().findOneOrFail(Conversation, { tenantId: clinic.tenant.id, channel: 'voice', contact: '+12125550402' }, { filters: false });
    const messages = await harness.services.orm.em.fork().find(Communication, { conversationId: conversation.id }, { filters: false, orderBy: { createdAt: 'asc' } });
    expect(messages.map((message) => [message.direction, message.status])).toEqual([
      ['inbound', 'received'],
      ['outbound', 'sent'],
    ]);
    expect(spoken(twiml)).toBe(messages[1].body);

    // Twilio retrying the same utterance of the same call: stored once, the same answer spoken.
    const again = await (await voice(call('+12125550402', callSid, 'what can you do'))).text();
    expect(again).toBe(twiml);
    expect(await harness.services.orm.em.fork().count(Communication, { conversationId: conversation.id }, { filters: false })).toBe(2);
  });

  it('hears the same words twice in one call as two messages with two answers; a redelivery of one is stored once', async () => {
    harness.services.agentModel = undefined;
    const from = '+12125550406';
    const callSid = randomSid('CA');
    const greeting = await (await voice(call(from, callSid))).text();
    const firstPath = gatherAction(greeting);
    const first = await (await voice(call(from, callSid, 'yes'), { path: firstPath })).text();
    const secondPath = gatherAction(first);
    const second = await (await voice(call(from, callSid, 'yes'), { path: secondPath })).text();

    const conversation = await harness.services.orm.em.fork().findOneOrFail(Conversation, { tenantId: clinic.tenant.id, channel: 'voice', contact: from }, { filters: false });
    const thread = () => harness.services.orm.em.fork().find(Communication, { conversationId: conversation.id }, { filters: false, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    const messages = await thread();
    expect(messages.map((message) => [message.direction, message.body])).toEqual([
      ['inbound', 'yes'],
      ['outbound', spoken(first)],
      ['inbound', 'yes'],
      ['outbound', spoken(second)],
    ]);
    const turns = await harness.services.orm.em.fork().find(AgentTurn, { conversationId: conversation.id }, { filters: false });
    expect(turns).toHaveLength(2);

    // Twilio redelivering the second request exactly (same URL, same fields): the same answer, nothing stored.
    const redelivered = await (await voice(call(from, callSid, 'yes'), { path: secondPath })).text();
    expect(redelivered).toBe(second);
    expect(await thread()).toHaveLength(4);
  });

  it('answers 400 naming the field, never 500, for a signed redirect with a malformed pending, waits or utterance', async () => {
    const callSid = randomSid('CA');
    const cases: [string, string][] = [
      ['/channels/twilio/voice?pending=not-a-uuid&waits=1', 'pending'],
      [`/channels/twilio/voice?pending=${randomUUID()}&waits=abc`, 'waits'],
      [`/channels/twilio/voice?pending=${randomUUID()}&waits=99999999999`, 'waits'],
      ['/channels/twilio/voice?utterance=-1', 'utterance'],
    ];
    for (const [path, field] of cases) {
      const response = await voice(call('+12125550407', callSid, 'hello'), { path });
      expect(response.status, path).toBe(400);
      const body = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
      expect(body.error.code).toBe('invalid_input');
      expect(body.error.issues.map((issue) => issue.path)).toEqual([field]);
    }
    const stored = await harness.services.orm.em.fork().count(Conversation, { tenantId: clinic.tenant.id, channel: 'voice', contact: '+12125550407' }, { filters: false });
    expect(stored).toBe(0);
  });

  it('connects a person when the caller asks for one', async () => {
    harness.services.agentModel = undefined;
    const twiml = await (await voice(call('+12125550403', randomSid('CA'), 'agent'))).text();
    expect(twiml).toContain(`<Dial>${CLINIC_PHONE}</Dial>`);
    expect(twiml).toContain('passed your message to our team');
  });

  it('finishes the writes of a turn even when the caller hangs up', async () => {
    const linked = await (await voice(call(maria.phone, randomSid('CA'), 'hello'))).text();
    expect(linked).toContain('<Say>');
    const conversation = await harness.services.orm.em.fork().findOneOrFail(Conversation, { tenantId: clinic.tenant.id, channel: 'voice', contact: maria.phone }, { filters: false });
    await clinic.call('POST', `${API}/conversations/${conversation.id}/link-patient`, { patientId: maria.id });

    const tomorrow = DateTime.now().setZone(clinic.tenant.timeZone).plus({ days: 1 }).toISODate();
    const { items } = await clinic.call<{ items: { startAt: string }[] }>('GET', `${API}/slots?from=${tomorrow}&to=${tomorrow}&practitionerId=${practitionerId}&limit=1`);
    harness.services.agentModel = scriptedModel(async (index) => {
      if (index === 0) {
        await sleep(300); // the caller hangs up while the model thinks
        return toolCall('book_appointment', { practitionerId, startAt: items[0].startAt });
      }
      return text('You are booked for tomorrow.');
    }).agent;
    const hangUp = new AbortController();
    const request = voice(call(maria.phone, randomSid('CA'), 'book me tomorrow morning'), { signal: hangUp.signal }).catch((error: Error) => error);
    await sleep(100);
    hangUp.abort();
    expect(await request).toBeInstanceOf(Error);

    for (let waited = 0; waited < 5_000; waited += 100) {
      if ((await harness.services.orm.em.fork().count(AgentTurn, { conversationId: conversation.id }, { filters: false })) >= 2) break;
      await sleep(100);
    }
    const appointments = await clinic.call<{ items: { startAt: string }[] }>('GET', `${API}/appointments?patientId=${maria.id}`);
    expect(appointments.items.map((item) => item.startAt)).toContain(items[0].startAt);
    harness.services.agentModel = undefined;
  });

  it('stores an utterance with a NUL character without it, and answers it', async () => {
    harness.services.agentModel = undefined;
    const response = await voice(call('+12125550405', randomSid('CA'), 'what can\u0000 you do'));
    expect(response.status).toBe(200);
    expect(spoken(await response.text())).not.toBe('');
    const conversation = await harness.services.orm.em.fork().findOneOrFail(Conversation, { tenantId: clinic.tenant.id, channel: 'voice', contact: '+12125550405' }, { filters: false });
    const messages = await harness.services.orm.em.fork().find(Communication, { conversationId: conversation.id }, { filters: false, orderBy: { createdAt: 'asc' } });
    expect(messages.map((message) => [message.direction, message.body.includes('\u0000')])).toEqual([
      ['inbound', false],
      ['outbound', false],
    ]);
    expect(messages[0].body).toBe('what can you do');
  });

  it('refuses an unsigned call', async () => {
    const url = `${service.url}/channels/twilio/voice`;
    const response = await fetch(url, signedTwilioRequest({ url, authToken: AUTH_TOKEN, params: call('+12125550404', randomSid('CA'), 'hi'), signature: null }));
    expect(response.status).toBe(403);
  });
});
