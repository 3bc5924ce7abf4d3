import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveInbound } from '../src/modules/communications/inbound.js';
import { Communication } from '../src/modules/communications/entities.js';
import { Conversation } from '../src/modules/conversations/entities.js';
import { ACCOUNT_SID, AUTH_TOKEN, openClinic, type TestPatient } from './support/clinic-fixture.js';
import { patientOn, randomSid } from './support/conversation-driver.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';
import { scriptedModel, text } from './support/mock-model.js';
import { signedTwilioRequest, startTwilioApi } from './support/twilio-api.js';

/**
 * Messages no patient should be able to break a conversation with, sent through Twilio's real webhook:
 * each is acknowledged (never a 500), answered, and leaves the conversation answering the next message;
 * a step in progress (a date of birth awaited) stays in progress.
 */

let harness: Harness;
let clinic: TestTenant;
let maria: TestPatient;
let numbers: { phone: string; whatsapp: string };
let twilioApi: Awaited<ReturnType<typeof startTwilioApi>>;
let service: Awaited<ReturnType<typeof listen>>;
let phoneCounter = 100;
const nextPhone = () => `+1212556${String(phoneCounter++).padStart(4, '0')}`;

beforeAll(async () => {
  twilioApi = await startTwilioApi();
  harness = await createHarness({ config: { TWILIO_API_BASE_URL: twilioApi.url } });
  clinic = await harness.newTenant({ timeZone: 'America/New_York', name: 'Harbor Clinic' });
  const opened = await openClinic(harness, clinic);
  maria = opened.patient;
  numbers = opened.numbers;
  service = await listen(harness.app.fetch);
});
afterAll(async () => {
  await service.close();
  await twilioApi.close();
  await harness.close();
});

const em = () => {
  const fork = harness.services.orm.em.fork();
  fork.setFilterParams('tenant', { tenantId: clinic.tenant.id });
  return fork;
};

/** One message through the signed webhook; returns the HTTP status and the reply Twilio was asked to send. */
async function send(from: string, body: string, channel: 'whatsapp' | 'sms' = 'whatsapp'): Promise<{ status: number; reply: string | undefined }> {
  const url = `${service.url}/channels/twilio/messages`;
  const address = (number: string) => (channel === 'whatsapp' ? `whatsapp:${number}` : number);
  const params = { MessageSid: randomSid(), AccountSid: ACCOUNT_SID, From: address(from), To: address(channel === 'whatsapp' ? numbers.whatsapp : numbers.phone), Body: body, NumMedia: '0' };
  const response = await fetch(url, signedTwilioRequest({ url, authToken: AUTH_TOKEN, params }));
  await response.text();
  const before = twilioApi.sent.length;
  await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
  const sent = twilioApi.sent.slice(before).filter((message) => message.to === address(from));
  return { status: response.status, reply: sent.at(-1)?.body };
}

const guidedStep = async (contact: string) => (await em().findOneOrFail(Conversation, { contact, channel: 'whatsapp' })).state.guided as { step: { kind: string } } | undefined;

const hostile: [string, string][] = [
  ['a NUL character', 'my\u0000 appointments'],
  ['nothing but NULs', '\u0000\u0000\u0000'],
  ['10,000 emoji', '😀'.repeat(10_000)],
  ['right-to-left marks and overrides', '\u200f\u202eappointments\u202c\u200f'],
  ['zero-width joiners and spaces', '👩\u200d👩\u200d👧\u200b\u200c\u200d\ufeff'],
  ['a message of 6,000 characters', 'I would like to tell you about my week. '.repeat(150)],
  ['control characters', '\u0001\u0002\u0007\u001b[31mred\u001b[0m'],
  ['an empty body', ''],
  ['emoji alone', '👍🙏'],
  ['Cyrillic', 'Здравствуйте, я хочу записаться к врачу'],
  ['Chinese', '你好，我想预约看医生'],
  ['Arabic, right to left', 'مرحبا، أريد حجز موعد مع الطبيب'],
];

describe('no message text stops a conversation or fails the webhook', () => {
  it.each(hostile)('%s: acknowledged, answered, and the next message answered', async (_label, body) => {
    const from = nextPhone();
    const odd = await send(from, body);
    expect(odd.status).toBe(200);
    expect(odd.reply).toBeTruthy();
    const next = await send(from, 'menu');
    expect(next.reply).toContain('How can I help?');
  });

  it.each(hostile)('%s: a date of birth awaited stays awaited, and is then taken', async (_label, body) => {
    const asked = await send(maria.phone, 'my appointments');
    expect(asked.reply).toContain('what is your date of birth?');
    expect((await send(maria.phone, body)).status).toBe(200);
    expect(await guidedStep(maria.phone)).toMatchObject({ step: { kind: 'ask_date_of_birth' } });
    expect((await send(maria.phone, maria.dateOfBirth)).reply).toContain('you are verified');
    // Verified: the next one starts over from an unverified conversation, so each case begins alike.
    await em().nativeUpdate(Conversation, { contact: maria.phone }, { verifiedUntil: null, state: {} });
  });

  it('stores a lone surrogate, which only a door other than Twilio can carry, as U+FFFD, and answers it', async () => {
    const contact = nextPhone();
    const received = await receiveInbound(harness.services, clinic.tenant, { channel: 'chat', contact, body: 'half an emoji \ud83d and a stray \udc00 NUL \u0000', channelMessageId: randomSid() });
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    const stored = await em().findOneOrFail(Communication, { id: received.messageId ?? '' });
    expect(stored.body).toBe('half an emoji \ufffd and a stray \ufffd NUL \ufffd');
    const answers = await em().find(Communication, { conversationId: received.conversationId, direction: 'outbound' });
    expect(answers.length).toBe(1);
  });

  it('hands off a message whose 500th character is half an emoji, with the summary cut before it', async () => {
    const from = nextPhone();
    const handedOff = await send(from, `a${'😀'.repeat(400)} agent please`);
    expect(handedOff.reply).toContain('I have passed your message to our team');
  });
});

describe('what odd messages are answered', () => {
  const onlyWords = 'Sorry, I can only read words and numbers.';
  const letter = `My appointment last week went badly and I want to cancel my appointment next month. ${'It is a long story. '.repeat(300)}`;

  it('emoji alone: says it reads words, offers the menu at rest, asks again what a step waits for', async () => {
    const from = nextPhone();
    expect((await send(from, '👍')).reply).toBe(`${onlyWords}\nReply MENU to see what I can do.`);
    await send(from, 'book an appointment');
    const waiting = await send(from, '🤔🤔🤔');
    expect(waiting.reply).toMatch(/^Sorry, I can only read words and numbers\.\nFirst, to keep your information private: what is your date of birth\?/);
    expect(await guidedStep(from)).toMatchObject({ step: { kind: 'ask_date_of_birth', task: { name: 'book' } } });
  });

  it('a thumbs-up does not confirm an appointment, and the question stays open', async () => {
    expect((await send(maria.phone, 'book')).reply).toContain('date of birth');
    expect((await send(maria.phone, maria.dateOfBirth)).reply).toContain('The next free times');
    expect((await send(maria.phone, '1')).reply).toContain('You are booked');
    expect((await send(maria.phone, 'my appointments')).reply).toContain('Reply C to confirm the next one');
    const thumbs = await send(maria.phone, '👍');
    expect(thumbs.reply).toBe(`${onlyWords}\nDo you want to confirm your next appointment? Reply C to confirm it, or MENU to see what I can do.`);
    expect(await guidedStep(maria.phone)).toMatchObject({ step: { kind: 'offer_confirm' } });
    expect((await send(maria.phone, 'C')).reply).toContain('is confirmed');
    await em().nativeUpdate(Conversation, { contact: maria.phone }, { verifiedUntil: null, state: {} });
  });

  it('a letter of 6,000 characters: not echoed, not acted on, a person offered; a step still waits', async () => {
    const from = nextPhone();
    const answered = await send(from, letter);
    expect(answered.reply).toBe('Thank you for your message. It is too long for me to read here: I can help with short requests, such as "my appointments". Reply AGENT and someone from our team will read it.');
    await send(from, 'my appointments');
    const waiting = await send(from, letter);
    expect(waiting.reply).toContain('what is your date of birth?');
    expect(await guidedStep(from)).toMatchObject({ step: { kind: 'ask_date_of_birth', task: { name: 'list' } } });
    expect((await send(from, 'agent')).reply).toContain('I have passed your message to our team');
  });

  it.each([
    ['Cyrillic', 'Здравствуйте, я хочу записаться к врачу'],
    ['Chinese', '你好，我想预约看医生'],
    ['Arabic', 'مرحبا، أريد حجز موعد مع الطبيب'],
  ])('%s: says in English and Spanish that the clinic answers in those, offers a person, and keeps a step waiting', async (_label, body) => {
    const from = nextPhone();
    await send(from, 'quiero ver mis citas');
    const answered = await send(from, body);
    expect(answered.reply).toBe(
      'Sorry, we can only answer in English or Spanish. Reply AGENT to talk to a person.\nLo sentimos, solo podemos responder en inglés o en español. Responda AGENTE para hablar con una persona.',
    );
    expect(await guidedStep(from)).toMatchObject({ step: { kind: 'ask_date_of_birth' } });
    expect((await send(from, 'agente')).reply).toContain('Pasé su mensaje a nuestro equipo');
  });

  it('keeps a Spanish conversation in Spanish for emoji and letters', async () => {
    const from = nextPhone();
    await send(from, 'hola');
    expect((await send(from, '😀')).reply).toBe('Disculpe, solo puedo leer palabras y números.\nResponda MENÚ para ver lo que puedo hacer.');
    expect((await send(from, 'x'.repeat(5_000))).reply).toContain('Es demasiado largo para que yo lo lea aquí');
  });
});

describe('with a language model', () => {
  it('answers another script without the model, and shows the model no more than 4,000 characters of a letter', async () => {
    const scripted = scriptedModel([text('I am sorry to hear that. Would you like me to pass this to our team?')]);
    const withModel = await createHarness({ agentModel: scripted.agent });
    try {
      const other = await withModel.newTenant();
      const { patient } = await openClinic(withModel, other, { twilio: false });
      const writer = patientOn(withModel, other, patient.phone);
      expect((await writer.say('Здравствуйте')).reply).toContain('we can only answer in English or Spanish');
      expect(scripted.calls()).toBe(0);
      const long = await writer.say(`Dear clinic, ${'a'.repeat(20_000)}`);
      expect(long.reply).toContain('pass this to our team');
      const prompt = JSON.stringify(scripted.model.doGenerateCalls[0].prompt);
      expect(prompt).toContain('[The message goes on for 16013 more characters, not shown.]');
      expect(prompt.length).toBeLessThan(12_000);
    } finally {
      await withModel.close();
    }
  });
});
