import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Communication } from '../src/modules/communications/entities.js';
import { Conversation } from '../src/modules/conversations/entities.js';
import { DomainEvent } from '../src/events.js';
import { conversationHistory } from '../src/agent/history.js';
import { receiveInbound } from '../src/modules/communications/inbound.js';
import { Job } from '../src/jobs/job.js';
import { ACCOUNT_SID, API, AUTH_TOKEN, addPatient, openClinic } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import type { Harness, TestTenant } from './support/harness.js';
import { servedHarness, type ServedHarness } from './support/served-harness.js';
import {
  WHATSAPP_CONTENT_SID,
  countRows,
  drainUntil,
  expectRefusal,
  grantConsent,
  publishTemplate,
  tenantEm,
  type NotificationBody,
  type NotificationDetailBody,
} from './support/notification-fixture.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server.js';
import { signedTwilioRequest } from './support/twilio-api.js';

/**
 * Notifications the clinic sends first, one at a time: accepted, dispatched at their send time after
 * the send-time checks, delivered once through the message pipeline (the Twilio stand-in, a real SMTP
 * server), cancelled, deduplicated, and refused when the input is bad.
 */

let harness: Harness;
let service: ServedHarness['service'];
let served: ServedHarness;
let twilioApi: ServedHarness['twilioApi'];
let smtp: TestSmtpServer;
let phoneCounter = 1000;
const nextPhone = () => `+1917555${String(phoneCounter++).padStart(4, '0')}`;

beforeAll(async () => {
  smtp = await startSmtpServer();
  served = await servedHarness({ SMTP_URL: smtp.url, SMTP_FROM: 'Harbor Clinic <no-reply@clinic.example>' });
  ({ harness, twilioApi, service } = served);
});
afterAll(async () => {
  await served.close();
  await smtp.close();
});

type Clinic = { clinic: TestTenant; whatsappNumber: string; patient: { id: string; phone: string }; practitionerId: string; locationId: string };

/** A clinic with Twilio, and a patient who consented to care messages on WhatsApp. */
async function newClinic(): Promise<Clinic> {
  const clinic = await harness.newTenant({ name: 'Harbor Clinic' });
  const opened = await openClinic(harness, clinic, { phone: nextPhone() });
  await grantConsent(clinic, opened.patient.id, 'whatsapp');
  return { clinic, whatsappNumber: opened.numbers.whatsapp, patient: opened.patient, practitionerId: opened.practitionerId, locationId: opened.locationId };
}

const settle = (clinic: TestTenant) => harness.services.jobs.drain({ tenantId: clinic.tenant.id });
const sentTo = (phone: string) => twilioApi.sent.filter((message) => message.to === `whatsapp:${phone}`);
const send = (clinic: TestTenant, body: Record<string, unknown>) => clinic.call<NotificationBody>('POST', `${API}/notifications`, body);
const detail = (clinic: TestTenant, id: string) => clinic.call<NotificationDetailBody>('GET', `${API}/notifications/${id}`);

async function whatsappReminder(clinic: TestTenant) {
  return publishTemplate(clinic, {
    name: 'care-note',
    channel: 'whatsapp',
    body: 'Hello {{ patient.givenName }}, {{ clinic.name }} has a message: {{ values.note }}',
    contentSid: WHATSAPP_CONTENT_SID,
    contentVariables: { '1': '{{ patient.givenName }}' },
  });
}

describe('a single notification', () => {
  it('by template on WhatsApp: accepted, dispatched, sent once, and in the patient’s thread at its send time', async () => {
    const { clinic, patient } = await newClinic();
    await whatsappReminder(clinic);
    const accepted = await send(clinic, { patientId: patient.id, channel: 'whatsapp', purpose: 'care_messages', template: { name: 'care-note' }, values: { note: 'your results are in' } });
    expect(accepted).toMatchObject({ status: 'scheduled', state: 'scheduled', deduplicated: false, batchId: null });

    await settle(clinic);
    // The approved Content template goes to Twilio (how a clinic writes first outside WhatsApp's 24-hour session), with its variables rendered.
    expect(sentTo(patient.phone).map((message) => [message.contentSid, message.contentVariables, message.body])).toEqual([[WHATSAPP_CONTENT_SID, JSON.stringify({ '1': 'Maria' }), undefined]]);
    const shown = await detail(clinic, accepted.id);
    expect(shown).toMatchObject({ status: 'sent', state: 'dispatched', skipReason: null, communication: { status: 'sent', channel: 'whatsapp', contact: patient.phone } });
    expect(shown.dispatchedAt).not.toBeNull();

    // Running the jobs again sends nothing more.
    await settle(clinic);
    expect(sentTo(patient.phone)).toHaveLength(1);

    const thread = await clinic.call<{ items: { id: string; body: string; createdAt: string; author: { kind: string } }[] }>('GET', `${API}/conversations/${shown.communication.conversationId}/messages`);
    expect(thread.items.map((message) => message.id)).toEqual([accepted.communicationId]);
    expect(thread.items[0].createdAt).toBe(accepted.sendAt);
    expect(thread.items[0].body).toBe('Hello Maria, Harbor Clinic has a message: your results are in');
    expect(thread.items[0].author.kind).toBe('staff');

    const events = await tenantEm(harness, clinic).find(DomainEvent, { entityId: accepted.id }, { orderBy: { occurredAt: 'asc', id: 'asc' } });
    expect(events.map((event) => event.type)).toEqual(['notification.scheduled', 'notification.dispatched']);
    expect(JSON.stringify(events.map((event) => event.payload))).not.toContain('Maria');
  });

  it('by plain body on email: sent once through SMTP with its subject', async () => {
    const { clinic, patient } = await newClinic();
    await clinic.call('PATCH', `${API}/patients/${patient.id}`, { email: 'maria.notify@example.org' });
    await grantConsent(clinic, patient.id, 'email');
    const accepted = await send(clinic, { patientId: patient.id, channel: 'email', purpose: 'care_messages', body: 'Your lab results are ready. Call us?', subject: 'Your results' });
    await settle(clinic);
    const received = smtp.received.filter((email) => email.rcptTo.includes('maria.notify@example.org'));
    expect(received).toHaveLength(1);
    expect(received[0].headers.get('subject')).toBe('Your results');
    expect(received[0].headers.get('message-id')).toBe(`<${accepted.communicationId}@prm>`);
    expect(received[0].raw).toContain('Your lab results are ready. Call us?');
    expect(await detail(clinic, accepted.id)).toMatchObject({ status: 'sent', template: null, communication: { channel: 'email', status: 'sent' } });
  });

  it('scheduled ahead: nothing is sent before sendAt, and it is sent after', async () => {
    // Jobs run by the database's clock, so this one waits for real: sendAt two seconds ahead.
    const { clinic, patient } = await newClinic();
    const sendAt = new Date(Date.now() + 2_000);
    const accepted = await send(clinic, { patientId: patient.id, channel: 'whatsapp', purpose: 'care_messages', body: 'See you soon', sendAt: sendAt.toISOString() });
    expect(accepted.sendAt).toBe(sendAt.toISOString());
    await settle(clinic);
    expect(sentTo(patient.phone)).toHaveLength(0);
    expect((await detail(clinic, accepted.id)).status).toBe('scheduled');

    // Jobs run every few milliseconds until it is sent: nothing may leave before sendAt.
    await drainUntil(harness, clinic, () => sentTo(patient.phone).length > 0, {
      meanwhile: () => {
        if (Date.now() < sendAt.getTime()) expect(sentTo(patient.phone)).toHaveLength(0);
      },
    });
    expect(sentTo(patient.phone).map((message) => message.body)).toEqual(['See you soon']);
    const shown = await detail(clinic, accepted.id);
    expect(shown.status).toBe('sent');
    expect(new Date(shown.dispatchedAt ?? 0).getTime()).toBeGreaterThanOrEqual(sendAt.getTime());
  });

  it('sendAt in clinic local time is that wall-clock time in the clinic’s zone', async () => {
    const { clinic, patient } = await newClinic();
    const accepted = await send(clinic, { patientId: patient.id, channel: 'whatsapp', purpose: 'care_messages', body: 'Hello', sendAt: '2027-01-15T09:30' });
    expect(accepted.sendAt).toBe('2027-01-15T14:30:00.000Z');
  });
});

describe('cancelling', () => {
  it('before the send time: never sent, its message kept as not sent', async () => {
    const { clinic, patient } = await newClinic();
    const accepted = await send(clinic, { patientId: patient.id, channel: 'whatsapp', purpose: 'care_messages', body: 'Never mind', sendAt: new Date(Date.now() + 60_000).toISOString() });
    const cancelled = await clinic.call<NotificationBody>('POST', `${API}/notifications/${accepted.id}/cancel`, {});
    expect(cancelled).toMatchObject({ status: 'cancelled', state: 'cancelled' });
    // Its dispatch job is made due now: it finds the notification cancelled and does nothing.
    await harness.services.orm.em.fork().getConnection().execute(`update job set run_at = now() where tenant_id = ? and status = 'pending'`, [clinic.tenant.id]);
    await settle(clinic);
    expect(sentTo(patient.phone)).toHaveLength(0);
    expect((await detail(clinic, accepted.id)).communication).toMatchObject({ status: 'not_sent', error: 'Cancelled by staff' });
    await expectRefusal(await clinic.request('POST', `${API}/notifications/${accepted.id}/cancel`, { body: {} }), 422);
  });

  it('after it was sent: 422 saying why', async () => {
    const { clinic, patient } = await newClinic();
    const accepted = await send(clinic, { patientId: patient.id, channel: 'whatsapp', purpose: 'care_messages', body: 'Sent already' });
    await settle(clinic);
    const error = await expectRefusal(await clinic.request('POST', `${API}/notifications/${accepted.id}/cancel`, { body: {} }), 422);
    expect(error.message).toContain('already sent');
    expect((await detail(clinic, accepted.id)).status).toBe('sent');
  });

  it('dispatched but still queued (waiting for its sending slot): cancelled, and its delivery sends nothing', async () => {
    const { clinic, patient } = await newClinic();
    // One message per 100 s: the second notification's delivery waits for its slot.
    await clinic.call('PATCH', `${API}/clinic`, { sendRatePerSecond: 0.01 });
    const other = await addPatient(clinic, { givenName: 'Ana', familyName: 'Lopez', dateOfBirth: '1990-01-02', phone: nextPhone() });
    await grantConsent(clinic, other.id, 'whatsapp');
    const first = await send(clinic, { patientId: patient.id, channel: 'whatsapp', purpose: 'care_messages', body: 'First' });
    await settle(clinic);
    const second = await send(clinic, { patientId: other.id, channel: 'whatsapp', purpose: 'care_messages', body: 'Second' });
    await settle(clinic);
    expect((await detail(clinic, first.id)).status).toBe('sent');
    expect(await detail(clinic, second.id)).toMatchObject({ state: 'dispatched', status: 'queued' });

    expect(await clinic.call<NotificationBody>('POST', `${API}/notifications/${second.id}/cancel`, {})).toMatchObject({ status: 'cancelled' });
    await harness.services.orm.em.fork().getConnection().execute(`update job set run_at = now() where tenant_id = ? and status = 'pending'`, [clinic.tenant.id]);
    await settle(clinic);
    expect(sentTo(other.phone)).toHaveLength(0);
    expect((await detail(clinic, second.id)).communication).toMatchObject({ status: 'not_sent', error: 'Cancelled by staff' });
  });
});

describe('dedupe keys', () => {
  it('the same key again answers with the first notification and makes nothing new, whatever else is sent', async () => {
    const { clinic, patient } = await newClinic();
    const first = await send(clinic, { patientId: patient.id, channel: 'whatsapp', purpose: 'care_messages', body: 'Once', dedupeKey: 'results:4711' });
    const before = await countRows(harness, clinic, 'communication');
    const again = await send(clinic, { patientId: patient.id, channel: 'sms', purpose: 'marketing', body: 'Twice?', dedupeKey: 'results:4711' });
    expect(again).toMatchObject({ id: first.id, communicationId: first.communicationId, deduplicated: true });
    expect(await countRows(harness, clinic, 'notification')).toBe(1);
    expect(await countRows(harness, clinic, 'communication')).toBe(before);
    await settle(clinic);
    expect(sentTo(patient.phone).map((message) => message.body)).toEqual(['Once']);
  });
});

/** A signed inbound webhook from the patient's number. */
async function inbound(clinic: Clinic, from: string, body: string) {
  const url = `${service.url}/channels/twilio/messages`;
  const params = { MessageSid: randomSid(), AccountSid: ACCOUNT_SID, From: `whatsapp:${from}`, To: `whatsapp:${clinic.whatsappNumber}`, Body: body, NumMedia: '0' };
  const response = await fetch(url, signedTwilioRequest({ url, authToken: AUTH_TOKEN, params }));
  expect(response.status).toBe(200);
}

describe('send-time checks', () => {
  const later = () => new Date(Date.now() + 1_500).toISOString();
  const sendLater = (setup: Clinic) => send(setup.clinic, { patientId: setup.patient.id, channel: 'whatsapp', purpose: 'care_messages', body: 'Checked at send time', sendAt: later() });

  async function atSendTime(setup: Clinic, notification: NotificationBody) {
    await drainUntil(harness, setup.clinic, async () => (await detail(setup.clinic, notification.id)).state !== 'scheduled');
    return detail(setup.clinic, notification.id);
  }

  it('consent withdrawn after scheduling: skipped, nothing sent', async () => {
    const setup = await newClinic();
    const accepted = await sendLater(setup);
    await setup.clinic.call('POST', `${API}/patients/${setup.patient.id}/consents/revoke`, { channel: 'whatsapp', purpose: 'care_messages' });
    const shown = await atSendTime(setup, accepted);
    expect(shown).toMatchObject({ status: 'skipped', state: 'skipped', communication: { status: 'not_sent' } });
    expect(shown.skipReason).toMatch(/not consented to care messages on whatsapp/);
    expect(shown.communication.error).toBe(shown.skipReason);
    expect(sentTo(setup.patient.phone)).toHaveLength(0);
  });

  it('a message never sent is not in the agent’s reading of the conversation: the patient never saw it', async () => {
    const setup = await newClinic();
    const accepted = await sendLater(setup);
    await setup.clinic.call('POST', `${API}/patients/${setup.patient.id}/consents/revoke`, { channel: 'whatsapp', purpose: 'care_messages' });
    const shown = await atSendTime(setup, accepted);
    const received = await receiveInbound(harness.services, setup.clinic.tenant, { channel: 'whatsapp', contact: setup.patient.phone, body: 'hello?', channelMessageId: randomSid() });
    const [answered] = await tenantEm(harness, setup.clinic).find(Communication, { id: received.messageId ?? '' });
    const history = await conversationHistory(harness.services.sql, setup.clinic.tenant.id, answered, { limit: 20, floor: null });
    expect(history).toEqual([{ role: 'user', content: 'hello?' }]);
    expect(shown.communication.body).toBe('Checked at send time');
  });

  it('STOP from the number after scheduling: skipped, nothing sent but the STOP confirmation', async () => {
    const setup = await newClinic();
    const accepted = await sendLater(setup);
    await inbound(setup, setup.patient.phone, 'STOP');
    await settle(setup.clinic);
    const confirmations = sentTo(setup.patient.phone).length;
    const shown = await atSendTime(setup, accepted);
    expect(shown.status).toBe('skipped');
    expect(shown.skipReason).toMatch(/opted out/);
    expect(sentTo(setup.patient.phone)).toHaveLength(confirmations);
    expect(sentTo(setup.patient.phone).map((message) => message.body)).not.toContain('Checked at send time');
  });

  it('patient deleted after scheduling: skipped, nothing sent', async () => {
    const setup = await newClinic();
    const accepted = await sendLater(setup);
    await setup.clinic.call('DELETE', `${API}/patients/${setup.patient.id}`);
    const shown = await atSendTime(setup, accepted);
    expect(shown.status).toBe('skipped');
    expect(shown.skipReason).toMatch(/deleted/);
    expect(sentTo(setup.patient.phone)).toHaveLength(0);
  });

  it('phone number changed after scheduling: skipped, not sent to the old number', async () => {
    const setup = await newClinic();
    const accepted = await sendLater(setup);
    await setup.clinic.call('PATCH', `${API}/patients/${setup.patient.id}`, { phone: nextPhone() });
    const shown = await atSendTime(setup, accepted);
    expect(shown.status).toBe('skipped');
    expect(shown.skipReason).toMatch(/phone number changed/);
    expect(sentTo(setup.patient.phone)).toHaveLength(0);
  });

  it('records notification.skipped with the reason’s code and no patient details', async () => {
    const setup = await newClinic();
    const accepted = await send(setup.clinic, { patientId: setup.patient.id, channel: 'whatsapp', purpose: 'marketing', body: 'Offer' });
    await settle(setup.clinic);
    const [event] = await tenantEm(harness, setup.clinic).find(DomainEvent, { entityId: accepted.id, type: 'notification.skipped' });
    expect(event.payload).toEqual({ communicationId: accepted.communicationId, reason: 'no_consent' });
  });
});

describe('refused at the door: 4xx naming the field, nothing stored', () => {
  async function expectNothingStored(setup: Clinic, attempt: () => Promise<void>) {
    const tables = ['notification', 'communication', 'conversation', 'job', 'domain_event'];
    const before = await Promise.all(tables.map((table) => countRows(harness, setup.clinic, table)));
    await attempt();
    expect(await Promise.all(tables.map((table) => countRows(harness, setup.clinic, table)))).toEqual(before);
  }
  const base = (setup: Clinic) => ({ patientId: setup.patient.id, channel: 'whatsapp', purpose: 'care_messages' });

  it('bad input', async () => {
    const setup = await newClinic();
    await whatsappReminder(setup.clinic);
    const post = (body: Record<string, unknown>) => setup.clinic.request('POST', `${API}/notifications`, { body });
    await expectNothingStored(setup, async () => {
      await expectRefusal(await post({ ...base(setup), body: 'a\u0000b' }), 400, 'body');
      await expectRefusal(await post({ ...base(setup), body: 'Hi', sendAt: new Date(Date.now() - 5 * 60_000).toISOString() }), 400, 'sendAt');
      await expectRefusal(await post({ ...base(setup), body: 'Hi', sendAt: new Date(Date.now() + 367 * 86_400_000).toISOString() }), 400, 'sendAt');
      await expectRefusal(await post({ ...base(setup), template: { name: 'care-note', locale: 'klingon-x' }, values: { note: 'x' } }), 400, 'template.locale');
      await expectRefusal(await post({ ...base(setup), template: { name: 'no-such-template' } }), 404, 'template.name');
      await expectRefusal(await post({ ...base(setup) }), 400, 'template');
      await expectRefusal(await post({ ...base(setup), body: 'Hi', template: { name: 'care-note' } }), 400, 'body');
      await expectRefusal(await post({ ...base(setup), body: 'Hi', subject: 'Not on WhatsApp' }), 400, 'subject');
      await expectRefusal(await post({ ...base(setup), body: 'x'.repeat(1_025) }), 400, 'body');
      await expectRefusal(await post({ ...base(setup), body: 'Hi', dedupeKey: 'tab\there' }), 400, 'dedupeKey');
    });
  });

  it('a template variable without a value: 422 naming it (the template’s refusal), nothing queued', async () => {
    const setup = await newClinic();
    await whatsappReminder(setup.clinic);
    await expectNothingStored(setup, async () => {
      await expectRefusal(await setup.clinic.request('POST', `${API}/notifications`, { body: { ...base(setup), template: { name: 'care-note' } } }), 422, 'values.note');
    });
  });

  it('no address for the channel: 422 naming it', async () => {
    const setup = await newClinic();
    await expectNothingStored(setup, async () => {
      await expectRefusal(await setup.clinic.request('POST', `${API}/notifications`, { body: { ...base(setup), channel: 'email', body: 'Hi' } }), 422, 'patient.email');
    });
  });

  it('staff only: the agent’s key is refused', async () => {
    const setup = await newClinic();
    const response = await setup.clinic.request('POST', `${API}/notifications`, { body: { ...base(setup), body: 'Hi' }, key: setup.clinic.keys.agent });
    expect(response.status).toBe(403);
    expect(harness.services.registry.operations.filter((operation) => operation.tag === 'notifications').every((operation) => !operation.access.patientFacing)).toBe(true);
  });
});

describe('the communication a notification makes', () => {
  it('is queued in the conversation of the channel and the patient’s number, without a delivery job until dispatch', async () => {
    const { clinic, patient } = await newClinic();
    const accepted = await send(clinic, { patientId: patient.id, channel: 'whatsapp', purpose: 'care_messages', body: 'Later', sendAt: new Date(Date.now() + 3_600_000).toISOString() });
    const em = tenantEm(harness, clinic);
    const communication = await em.findOneOrFail(Communication, { id: accepted.communicationId });
    expect(communication).toMatchObject({ status: 'queued', direction: 'outbound', body: 'Later' });
    expect(communication.createdAt.toISOString()).toBe(accepted.sendAt);
    const conversation = await em.findOneOrFail(Conversation, { id: communication.conversationId });
    expect(conversation).toMatchObject({ channel: 'whatsapp', contact: patient.phone });
    const jobs = await harness.services.orm.em.fork().find(Job, { tenantId: clinic.tenant.id, status: 'pending', kind: { $in: ['notification.dispatch', 'message.deliver'] } });
    expect(jobs.map((job) => [job.kind, job.payload])).toEqual([['notification.dispatch', { notificationIds: [accepted.id] }]]);
  });
});
