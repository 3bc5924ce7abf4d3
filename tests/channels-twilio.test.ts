import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVER_JOB } from '../src/modules/communications/jobs.js';
import { enqueueJob } from '../src/jobs/enqueue.js';
import { Conversation } from '../src/modules/conversations/entities.js';
import { Communication } from '../src/modules/communications/entities.js';
import { ACCOUNT_SID, API, AUTH_TOKEN, openClinic, type TestPatient } from './support/clinic-fixture.js';
import { patientOn, randomSid } from './support/conversation-driver.js';
import { ownDatabase, type OwnDatabase } from './support/own-database.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { listen } from './support/http-server.js';
import { signedTwilioRequest, startTwilioApi } from './support/twilio-api.js';

let harness: Harness;
let clinic: TestTenant;
let maria: TestPatient;
let CLINIC_NUMBER: string;
let CLINIC_WHATSAPP: string;
let twilioApi: Awaited<ReturnType<typeof startTwilioApi>>;
let service: Awaited<ReturnType<typeof listen>>;
let phoneCounter = 300;
const nextPhone = () => `+1212555${String(phoneCounter++).padStart(4, '0')}`;

/** Posts a webhook to the running service as Twilio would, signed for the URL it is sent to. */
function webhook(path: string, params: Record<string, string>, options: { signature?: string | null; authToken?: string } = {}) {
  const url = `${service.url}${path}`;
  return fetch(url, signedTwilioRequest({ url, authToken: options.authToken ?? AUTH_TOKEN, params, signature: options.signature }));
}

const whatsapp = (from: string, body: string, extra: Record<string, string> = {}) => ({
  MessageSid: randomSid(),
  AccountSid: ACCOUNT_SID,
  From: `whatsapp:${from}`,
  To: `whatsapp:${CLINIC_WHATSAPP}`,
  Body: body,
  NumMedia: '0',
  ...extra,
});

const em = () => {
  const fork = harness.services.orm.em.fork();
  fork.setFilterParams('tenant', { tenantId: clinic.tenant.id });
  return fork;
};
const threadOf = async (contact: string, channel = 'whatsapp') => {
  const conversation = await em().findOne(Conversation, { contact, channel: channel as 'whatsapp' });
  return conversation ? em().find(Communication, { conversationId: conversation.id }, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }) : [];
};
const settle = () => harness.services.jobs.drain({ tenantId: clinic.tenant.id });

let database: OwnDatabase;
beforeAll(async () => {
  twilioApi = await startTwilioApi();
  database = await ownDatabase(); // a worker runs here as in the service: see own-database.ts
  harness = await createHarness({ databaseUrl: database.url, config: { TWILIO_API_BASE_URL: twilioApi.url } });
  clinic = await harness.newTenant();
  const opened = await openClinic(harness, clinic);
  maria = opened.patient;
  CLINIC_NUMBER = opened.numbers.phone;
  CLINIC_WHATSAPP = opened.numbers.whatsapp;
  service = await listen(harness.app.fetch);
});
afterAll(async () => {
  await service.close();
  await twilioApi.close();
  await harness.close();
  await database.close();
});

describe('the Twilio messaging webhook', () => {
  it('acknowledges at once with empty TwiML, then answers through the Messages API', async () => {
    const from = nextPhone();
    const response = await webhook('/channels/twilio/messages', whatsapp(from, 'HELP'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/xml');
    expect(await response.text()).toContain('<Response/>');
    const before = twilioApi.sent.length;
    await settle();
    const sent = twilioApi.sent.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: `whatsapp:${from}`, from: `whatsapp:${CLINIC_WHATSAPP}` });
    const thread = await threadOf(from);
    expect(thread.map((message) => [message.direction, message.status])).toEqual([
      ['inbound', 'received'],
      ['outbound', 'sent'],
    ]);
    expect(thread[1].channelMessageId).toBe(sent[0].sid);
  });

  it('processes a redelivered MessageSid once: one stored message, one reply', async () => {
    const from = nextPhone();
    const params = whatsapp(from, 'hello');
    const before = twilioApi.sent.length;
    const responses = await Promise.all([webhook('/channels/twilio/messages', params), webhook('/channels/twilio/messages', params)]);
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    await webhook('/channels/twilio/messages', params);
    await settle();
    const thread = await threadOf(from);
    expect(thread.filter((message) => message.direction === 'inbound')).toHaveLength(1);
    expect(thread.filter((message) => message.direction === 'outbound')).toHaveLength(1);
    expect(twilioApi.sent.length - before).toBe(1);
  });

  it('refuses an unsigned or forged request with 403 and stores nothing', async () => {
    const from = nextPhone();
    expect((await webhook('/channels/twilio/messages', whatsapp(from, 'hi'), { signature: null })).status).toBe(403);
    expect((await webhook('/channels/twilio/messages', whatsapp(from, 'hi'), { authToken: 'someone-elses-token-000000000' })).status).toBe(403);
    const url = `${service.url}/channels/twilio/messages`;
    const signedOther = signedTwilioRequest({ url, authToken: AUTH_TOKEN, params: whatsapp(from, 'original') });
    const tampered = await fetch(url, { ...signedOther, body: new URLSearchParams(whatsapp(from, 'tampered')).toString() });
    expect(tampered.status).toBe(403);
    await settle();
    expect(await threadOf(from)).toEqual([]);
  });

  it('checks signatures with a changed auth token at once', async () => {
    const from = nextPhone();
    expect((await webhook('/channels/twilio/messages', whatsapp(from, 'before'))).status).toBe(200);
    const rotated = 'rotated-auth-token-0123456789abcd';
    const setToken = (authToken: string) =>
      clinic.call('PUT', `${API}/channels/twilio`, { accountSid: ACCOUNT_SID, authToken, phoneNumber: CLINIC_NUMBER, whatsappNumber: CLINIC_WHATSAPP });
    await setToken(rotated);
    try {
      expect((await webhook('/channels/twilio/messages', whatsapp(from, 'old token'))).status).toBe(403);
      expect((await webhook('/channels/twilio/messages', whatsapp(from, 'new token'), { authToken: rotated })).status).toBe(200);
    } finally {
      await setToken(AUTH_TOKEN);
    }
    await settle();
    expect((await threadOf(from)).filter((message) => message.direction === 'inbound').map((message) => message.body)).toEqual(['before', 'new token']);
  });

  it('answers 404 for a number no clinic uses', async () => {
    const response = await webhook('/channels/twilio/messages', { ...whatsapp(nextPhone(), 'hi'), To: 'whatsapp:+19995550000' });
    expect(response.status).toBe(404);
  });

  it('reads only form posts: the same fields as JSON are a 400 naming To, and nothing is stored', async () => {
    const from = nextPhone();
    const url = `${service.url}/channels/twilio/messages`;
    const signed = signedTwilioRequest({ url, authToken: AUTH_TOKEN, params: whatsapp(from, 'hi') });
    const response = await fetch(url, { ...signed, headers: { ...Object.fromEntries(new Headers(signed.headers)), 'content-type': 'application/json' }, body: JSON.stringify(whatsapp(from, 'hi')) });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('"To"');
    expect(await threadOf(from)).toHaveLength(0);
  });

  it('keeps inbound media URLs on the message', async () => {
    const from = nextPhone();
    await webhook('/channels/twilio/messages', whatsapp(from, 'my rash', { NumMedia: '1', MediaUrl0: 'https://api.twilio.com/media/ME123', MediaContentType0: 'image/jpeg' }));
    const [inbound] = await threadOf(from);
    expect(inbound.media).toEqual([{ url: 'https://api.twilio.com/media/ME123', contentType: 'image/jpeg' }]);
    await settle();
  });

  it('stores a message with NUL characters without them, and answers it (PostgreSQL refuses NUL in text)', async () => {
    const from = nextPhone();
    const before = twilioApi.sent.length;
    const response = await webhook(
      '/channels/twilio/messages',
      whatsapp(from, 'HE\u0000LP', { NumMedia: '1', MediaUrl0: 'https://api.twilio.com/media/ME\u0000456', MediaContentType0: 'image/\u0000png' }),
    );
    expect(response.status).toBe(200);
    await settle();
    const thread = await threadOf(from);
    expect(thread.map((message) => [message.direction, message.body.includes('\u0000')])).toEqual([
      ['inbound', false],
      ['outbound', false],
    ]);
    expect(thread[0]).toMatchObject({ body: 'HELP', media: [{ url: 'https://api.twilio.com/media/ME456', contentType: 'image/png' }] });
    expect(twilioApi.sent.slice(before)).toHaveLength(1);
  });

  it('reads SMS without the whatsapp: prefix and answers from the SMS number', async () => {
    const from = nextPhone();
    const before = twilioApi.sent.length;
    await webhook('/channels/twilio/messages', { MessageSid: randomSid(), AccountSid: ACCOUNT_SID, From: from, To: CLINIC_NUMBER, Body: 'hi' });
    await settle();
    expect(twilioApi.sent.slice(before)[0]).toMatchObject({ to: from, from: CLINIC_NUMBER });
    expect((await threadOf(from, 'sms')).length).toBe(2);
  });

  it('answers two messages arriving at once in order, one reply each', async () => {
    const from = maria.phone;
    const first = whatsapp(from, 'HELP');
    const second = whatsapp(from, 'menu');
    await Promise.all([webhook('/channels/twilio/messages', first), webhook('/channels/twilio/messages', second)]);
    await settle();
    const thread = await threadOf(from);
    const inbound = thread.filter((message) => message.direction === 'inbound');
    const outbound = thread.filter((message) => message.direction === 'outbound');
    expect(inbound).toHaveLength(2);
    expect(outbound).toHaveLength(2);
    // Each reply comes after the message it answers, and the turns ran in arrival order.
    expect(outbound[0].createdAt.getTime()).toBeGreaterThanOrEqual(inbound[0].createdAt.getTime());
    expect(outbound[1].createdAt.getTime()).toBeGreaterThanOrEqual(outbound[0].createdAt.getTime());
    const turns = await clinic.call<{ items: { inboundMessageId: string }[] }>('GET', `${API}/conversations/${inbound[0].conversationId}/turns`);
    expect(turns.items.map((turn) => turn.inboundMessageId).reverse()).toEqual(inbound.map((message) => message.id));
  });
});

describe('with the worker running, as in the service', () => {
  it('runs the turn and the delivery it inserted claimed at once, and a burst of one patient in order, once each', async () => {
    const from = nextPhone();
    const before = twilioApi.sent.length;
    harness.services.jobs.start();
    try {
      // Four at once from one number: the first's turn is inserted claimed, the others wait their turn.
      await Promise.all(['HELP', 'menu', 'HELP', 'menu'].map((body) => webhook('/channels/twilio/messages', whatsapp(from, body))));
      for (const deadline = Date.now() + 10_000; twilioApi.sent.slice(before).filter((message) => message.to === `whatsapp:${from}`).length < 4 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await harness.services.jobs.stop();
    }
    expect(twilioApi.sent.slice(before).filter((message) => message.to === `whatsapp:${from}`)).toHaveLength(4);
    const thread = await threadOf(from);
    const inbound = thread.filter((message) => message.direction === 'inbound');
    const turns = await clinic.call<{ items: { inboundMessageId: string; replyMessageId: string }[] }>('GET', `${API}/conversations/${inbound[0].conversationId}/turns`);
    expect(turns.items.map((turn) => turn.inboundMessageId).reverse()).toEqual(inbound.map((message) => message.id));
    expect(thread.filter((message) => message.direction === 'outbound').map((message) => message.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    // Every job ran once and finished; none was left for the poll.
    const jobs = await harness.services.orm.em
      .fork()
      .execute<{ kind: string; status: string; attempts: number }[]>(`select kind, status, attempts from job where serial_key in (?, ?)`, [
        `conversation:${inbound[0].conversationId}`,
        `deliver:${inbound[0].conversationId}`,
      ]);
    expect(jobs).toHaveLength(8);
    expect(jobs.every((job) => job.status === 'succeeded' && job.attempts === 1)).toBe(true);
  });
});

describe('STOP and START', () => {
  it('sends only the confirmation after STOP, records the consent, and resumes after START', async () => {
    const from = nextPhone();
    const sms = (body: string) => ({ MessageSid: randomSid(), AccountSid: ACCOUNT_SID, From: from, To: CLINIC_NUMBER, Body: body });
    const before = twilioApi.sent.length;
    // What this number was sent (another test's late delivery is not this test's business).
    const sentHere = () => twilioApi.sent.slice(before).filter((message) => message.to === from);
    await webhook('/channels/twilio/messages', sms('STOP'));
    await settle();
    await webhook('/channels/twilio/messages', sms('what are your hours?'));
    await settle();
    let sent = sentHere();
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toContain('unsubscribed');
    // Staff cannot write either.
    const conversation = await em().findOneOrFail(Conversation, { contact: from, channel: 'sms' });
    expect((await clinic.request('POST', `${API}/conversations/${conversation.id}/messages`, { body: { body: 'Hello?' } })).status).toBe(422);

    await webhook('/channels/twilio/messages', sms('START'));
    await settle();
    await webhook('/channels/twilio/messages', sms('HELP'));
    await settle();
    sent = sentHere();
    expect(sent.map((message) => message.body)).toEqual([expect.stringContaining('unsubscribed'), expect.stringContaining('subscribed again'), expect.stringContaining('STOP')]);
  });

  it('revokes the linked patient’s consent on that channel', async () => {
    const conversationId = (await em().findOne(Conversation, { contact: maria.phone, channel: 'whatsapp' }))?.id;
    expect(conversationId).toBeDefined();
    await clinic.call('POST', `${API}/conversations/${conversationId}/link-patient`, { patientId: maria.id });
    await webhook('/channels/twilio/messages', whatsapp(maria.phone, 'stop'));
    await settle();
    const consents = await clinic.call<{ current: { channel: string; purpose: string; status: string }[] }>('GET', `${API}/patients/${maria.id}/consents`);
    expect(consents.current).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'whatsapp', purpose: 'appointment_reminders', status: 'revoked' })]));
    await webhook('/channels/twilio/messages', whatsapp(maria.phone, 'start'));
    await settle();
  });
});

describe('delivery', () => {
  it('follows status callbacks and never moves a status back', async () => {
    const from = nextPhone();
    await webhook('/channels/twilio/messages', whatsapp(from, 'HELP'));
    await settle();
    const reply = (await threadOf(from)).find((message) => message.direction === 'outbound');
    const callback = (status: string, extra: Record<string, string> = {}) =>
      webhook('/channels/twilio/status', { MessageSid: reply?.channelMessageId ?? '', MessageStatus: status, AccountSid: ACCOUNT_SID, ...extra });
    expect((await callback('delivered')).status).toBe(204);
    expect((await callback('sent')).status).toBe(204);
    let stored = await em().findOneOrFail(Communication, { id: reply?.id });
    expect(stored.status).toBe('delivered');
    expect(stored.deliveredAt).toBeInstanceOf(Date);
    await callback('read');
    stored = await em().findOneOrFail(Communication, { id: reply?.id });
    expect(stored.status).toBe('read');
    expect((await webhook('/channels/twilio/status', { MessageSid: reply?.channelMessageId ?? '', MessageStatus: 'failed' }, { signature: 'forged' })).status).toBe(403);
  });

  it('retries when Twilio rate-limits (the request was not processed) and sends once', async () => {
    const from = nextPhone();
    let calls = 0;
    twilioApi.respondWith(() => (++calls === 1 ? 429 : 'ok'));
    const before = twilioApi.sent.length;
    await webhook('/channels/twilio/messages', whatsapp(from, 'HELP'));
    await settle();
    twilioApi.respondWith(() => 'ok');
    expect(twilioApi.sent.length - before).toBe(1);
    expect((await threadOf(from)).find((message) => message.direction === 'outbound')?.status).toBe('sent');
  });

  it('does not retry when Twilio may have taken the message (a server error): unknown, for staff', async () => {
    const from = nextPhone();
    twilioApi.respondWith(() => 500);
    const attemptsBefore = twilioApi.attempts.length;
    await webhook('/channels/twilio/messages', whatsapp(from, 'HELP'));
    await settle();
    twilioApi.respondWith(() => 'ok');
    expect(twilioApi.attempts.length - attemptsBefore).toBe(1);
    const reply = (await threadOf(from)).find((message) => message.direction === 'outbound');
    expect(reply?.status).toBe('unknown');
    expect(reply?.error).toContain('may have sent it');
  });

  it('does not resend a message whose sending was cut short (worker died mid-request): unknown, for staff', async () => {
    const from = nextPhone();
    await webhook('/channels/twilio/messages', whatsapp(from, 'HELP'));
    await settle();
    const reply = (await threadOf(from)).find((message) => message.direction === 'outbound');
    // As a worker that died after marking it `sending` would leave it, with its job run again.
    await em().nativeUpdate(Communication, { id: reply?.id }, { status: 'sending' });
    const fork = em();
    enqueueJob(fork, { tenantId: clinic.tenant.id, kind: DELIVER_JOB, payload: { messageId: reply?.id } });
    await fork.flush();
    const attemptsBefore = twilioApi.attempts.length;
    await settle();
    expect(twilioApi.attempts.length).toBe(attemptsBefore);
    const stored = await em().findOneOrFail(Communication, { id: reply?.id });
    expect(stored.status).toBe('unknown');
    expect(stored.error).toContain('interrupted');
  });

  it('keeps the replies of a clinic without Twilio in the thread, marked not delivered', async () => {
    const other = await harness.newTenant();
    await openClinic(harness, other, { twilio: false, phone: '+12125550999' });
    const { reply, turn } = await patientOn(harness, other, '+12125550999').say('HELP');
    expect(reply).toBeTruthy();
    const stored = await harness.services.orm.em.fork().findOneOrFail(Communication, { id: turn.replyMessageId }, { filters: false });
    expect(stored.status).toBe('not_sent');
    expect(stored.error).toContain('Twilio is not configured');
  });
});
