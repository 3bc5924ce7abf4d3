import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../src/jobs/enqueue.js';
import { Communication, CommunicationStatusReport } from '../src/modules/communications/entities.js';
import { DELIVER_JOB } from '../src/modules/communications/jobs.js';
import { Conversation } from '../src/modules/conversations/entities.js';
import { DomainEvent } from '../src/events.js';
import { ACCOUNT_SID, AUTH_TOKEN, openClinic } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import type { Harness, TestTenant } from './support/harness.js';
import { servedHarness, type ServedHarness } from './support/served-harness.js';
import { signedTwilioRequest } from './support/twilio-api.js';

/**
 * What a provider reports about a communication: kept once per status, applied only forward, bound to
 * our id even when its sid was never stored, and a report about a message unknown here is acknowledged.
 */

let harness: Harness;
let clinic: TestTenant;
let service: ServedHarness['service'];
let served: ServedHarness;
let twilioApi: ServedHarness['twilioApi'];
let clinicWhatsapp: string;
let phoneCounter = 700;
const nextPhone = () => `+1212555${String(phoneCounter++).padStart(4, '0')}`;

/** Signed for the URL it is posted to; `path` may carry a query (Twilio signs it too). */
function webhook(path: string, params: Record<string, string>) {
  const url = `${service.url}${path}`;
  return fetch(url, signedTwilioRequest({ url, authToken: AUTH_TOKEN, params }));
}
const em = () => {
  const fork = harness.services.orm.em.fork();
  fork.setFilterParams('tenant', { tenantId: clinic.tenant.id });
  return fork;
};
const settle = () => harness.services.jobs.drain({ tenantId: clinic.tenant.id });

/** A patient writes HELP; the clinic's reply is sent to the Twilio stand-in. */
async function sentReply() {
  const from = nextPhone();
  await webhook('/channels/twilio/messages', { MessageSid: randomSid(), AccountSid: ACCOUNT_SID, From: `whatsapp:${from}`, To: `whatsapp:${clinicWhatsapp}`, Body: 'HELP', NumMedia: '0' });
  await settle();
  const conversation = await em().findOneOrFail(Conversation, { contact: from, channel: 'whatsapp' });
  return em().findOneOrFail(Communication, { conversationId: conversation.id, direction: 'outbound' });
}

const reports = async (communicationId: string) =>
  (await em().find(CommunicationStatusReport, { communicationId }, { orderBy: { reportedAt: 'asc', id: 'asc' } })).map((report) => [report.status, report.providerStatus]);

beforeAll(async () => {
  served = await servedHarness();
  ({ harness, twilioApi, service } = served);
  clinic = await harness.newTenant();
  clinicWhatsapp = (await openClinic(harness, clinic)).numbers.whatsapp;
});
afterAll(() => served.close());

describe('provider status reports', () => {
  it('asks Twilio to report to a URL that carries our id for the communication', async () => {
    const reply = await sentReply();
    const sent = twilioApi.sent.find((message) => message.sid === reply.channelMessageId);
    expect(sent?.statusCallback).toBe(`${service.url}/channels/twilio/status?communication=${reply.id}`);
    // The send's own answer is the first report.
    expect(await reports(reply.id)).toEqual([['sent', 'queued']]);
  });

  it('moves only forward, keeps every report once, and records each move as an event', async () => {
    const reply = await sentReply();
    const report = (status: string) => webhook(`/channels/twilio/status?communication=${reply.id}`, { MessageSid: reply.channelMessageId ?? '', MessageStatus: status, AccountSid: ACCOUNT_SID });
    for (const status of ['delivered', 'sent', 'delivered', 'read', 'failed']) expect((await report(status)).status).toBe(204);
    const stored = await em().findOneOrFail(Communication, { id: reply.id });
    expect(stored.status).toBe('read');
    expect(stored.deliveredAt).toBeInstanceOf(Date);
    expect(await reports(reply.id)).toEqual([['sent', 'queued'], ['delivered', 'delivered'], ['read', 'read'], ['failed', 'failed']]);
    const moves = await em().find(DomainEvent, { type: 'communication.status_changed', entityId: reply.id }, { orderBy: { occurredAt: 'asc' } });
    expect(moves.map((event) => event.payload.status)).toEqual(['delivered', 'read']);
  });

  it('never moves out of a failure', async () => {
    const reply = await sentReply();
    const report = (status: string) => webhook(`/channels/twilio/status?communication=${reply.id}`, { MessageSid: reply.channelMessageId ?? '', MessageStatus: status, AccountSid: ACCOUNT_SID });
    await report('undelivered');
    await report('delivered');
    await report('read');
    expect((await em().findOneOrFail(Communication, { id: reply.id })).status).toBe('undelivered');
  });

  it('binds a message interrupted mid-send (unknown, never resent) to its sid when Twilio reports it', async () => {
    const reply = await sentReply();
    // As a worker that died after handing it to Twilio, before storing the sid, would leave it.
    await em().nativeUpdate(Communication, { id: reply.id }, { status: 'sending', channelMessageId: null });
    const fork = em();
    enqueueJob(fork, { tenantId: clinic.tenant.id, kind: DELIVER_JOB, payload: { messageId: reply.id } });
    await fork.flush();
    const attempts = twilioApi.attempts.length;
    await settle();
    expect(twilioApi.attempts.length).toBe(attempts);
    expect((await em().findOneOrFail(Communication, { id: reply.id })).status).toBe('unknown');

    const response = await webhook(`/channels/twilio/status?communication=${reply.id}`, { MessageSid: 'SM_from_twilio_0001', MessageStatus: 'delivered', AccountSid: ACCOUNT_SID });
    expect(response.status).toBe(204);
    const stored = await em().findOneOrFail(Communication, { id: reply.id });
    expect(stored).toMatchObject({ status: 'delivered', channelMessageId: 'SM_from_twilio_0001' });
  });

  it('still follows a report without our id, by its MessageSid', async () => {
    const reply = await sentReply();
    expect((await webhook('/channels/twilio/status', { MessageSid: reply.channelMessageId ?? '', MessageStatus: 'delivered', AccountSid: ACCOUNT_SID })).status).toBe(204);
    expect((await em().findOneOrFail(Communication, { id: reply.id })).status).toBe('delivered');
  });

  it('answers 200 to a report about a message unknown here, and stores nothing', async () => {
    const before = await harness.services.orm.em.fork().getConnection().execute<{ count: string }[]>('select count(*) from communication_status');
    for (const path of [`/channels/twilio/status?communication=01a24900-0000-7000-8000-000000000000`, '/channels/twilio/status', '/channels/twilio/status?communication=not-a-uuid']) {
      const response = await webhook(path, { MessageSid: 'SM_nobody_knows', MessageStatus: 'delivered', AccountSid: ACCOUNT_SID });
      expect(response.status, path).toBe(200);
    }
    const after = await harness.services.orm.em.fork().getConnection().execute<{ count: string }[]>('select count(*) from communication_status');
    expect(after[0].count).toBe(before[0].count);
  });
});

describe('communications over the API', () => {
  it('lists every message in and out, filtered, and shows one with its provider reports', async () => {
    const reply = await sentReply();
    const conversation = await em().findOneOrFail(Conversation, { id: reply.conversationId });
    const listed = await clinic.call<{ items: { id: string; direction: string; channel: string; contact: string; status: string }[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/prm/communications?conversationId=${conversation.id}&limit=1`,
    );
    expect(listed.items).toEqual([expect.objectContaining({ id: reply.id, direction: 'outbound', channel: 'whatsapp', contact: conversation.contact, status: 'sent' })]);
    expect(listed.nextCursor).not.toBeNull();
    const next = await clinic.call<{ items: { direction: string; body: string }[] }>('GET', `/api/v1/prm/communications?conversationId=${conversation.id}&cursor=${listed.nextCursor}`);
    expect(next.items.map((item) => [item.direction, item.body])).toEqual([['inbound', 'HELP']]);

    const inbound = await clinic.call<{ items: { conversationId: string }[] }>('GET', `/api/v1/prm/communications?direction=inbound&channel=whatsapp&limit=200`);
    expect(inbound.items.every((item) => typeof item.conversationId === 'string')).toBe(true);
    expect((await clinic.call<{ items: unknown[] }>('GET', `/api/v1/prm/communications?channel=email`)).items).toEqual([]);

    const detail = await clinic.call<{ id: string; statusReports: { status: string; providerStatus: string }[] }>('GET', `/api/v1/prm/communications/${reply.id}`);
    expect(detail).toMatchObject({ id: reply.id, statusReports: [{ status: 'sent', providerStatus: 'queued' }] });
    expect((await clinic.request('GET', `/api/v1/prm/communications/${reply.id}`, { key: clinic.keys.agent })).status).toBe(403);
  });
});
