import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_SID, API, AUTH_TOKEN, openClinic } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import type { Harness, TestTenant } from './support/harness.js';
import { servedHarness, type ServedHarness } from './support/served-harness.js';
import { expectRefusal, grantConsent, publishTemplate } from './support/notification-fixture.js';
import { signedTwilioRequest } from './support/twilio-api.js';
import { APPLY_JOB } from '../src/modules/journeys/subscriptions.js';
import { getInstance, instancesOf, JOURNEYS, publishJourney, type InstanceBody } from './journeys-fixture.js';

/** A patient's reply moving an instance on (a signed Twilio webhook, a filter on its words), and journeys that do not take a patient twice. */

let harness: Harness;
let twilioApi: ServedHarness['twilioApi'];
let service: ServedHarness['service'];
let served: ServedHarness;
let phoneCounter = 0;
const nextPhone = () => `+1917556${String(phoneCounter++).padStart(4, '0')}`;

beforeAll(async () => {
  served = await servedHarness();
  ({ harness, twilioApi, service } = served);
});
afterAll(() => served.close());

const settle = (clinic: TestTenant) => harness.services.jobs.drain({ tenantId: clinic.tenant.id });

/** An SMS from `from` to the clinic's number, as Twilio posts it: signed for the URL. */
async function sms(clinicNumber: string, from: string, body: string): Promise<void> {
  const url = `${service.url}/channels/twilio/messages`;
  const params = { MessageSid: randomSid(), AccountSid: ACCOUNT_SID, From: from, To: clinicNumber, Body: body, NumMedia: '0' };
  const response = await fetch(url, signedTwilioRequest({ url, authToken: AUTH_TOKEN, params }));
  expect(response.status).toBe(200);
}

describe('a patient’s reply', () => {
  it('moves the instance on along the way whose filter the message matches, and not on another message', async () => {
    const clinic = await harness.newTenant();
    const opened = await openClinic(harness, clinic, { phone: nextPhone() });
    await grantConsent(clinic, opened.patient.id, 'sms');
    await publishTemplate(clinic, { name: 'follow-up-ask', channel: 'sms', body: 'Will you come to your follow-up, {{ patient.givenName }}? Reply YES to confirm or NO.' });
    const journeyId = await publishJourney(clinic, 'Confirm follow-up', {
      trigger: { kind: 'manual' },
      channel: 'sms',
      stages: [
        {
          key: 'ask',
          name: 'Ask',
          actions: [{ tool: 'send_notification', input: { channel: 'sms', purpose: 'care_messages', template: { name: 'follow-up-ask' } } }],
          next: [
            { to: 'confirmed', on: { event: 'communication.created', where: { direction: 'inbound', 'message.words': ['yes', 'yep'] } } },
            { to: 'declined', on: { event: 'communication.created', where: { direction: 'inbound', 'message.text': ['no', 'no thanks'] } } },
          ],
        },
        { key: 'confirmed', name: 'Confirmed' },
        { key: 'declined', name: 'Declined' },
      ],
    });
    const enrolled = await clinic.call<InstanceBody>('POST', `${JOURNEYS}/${journeyId}/instances`, { patientId: opened.patient.id });
    await settle(clinic);
    expect(twilioApi.sent.filter((message) => message.to === opened.patient.phone).map((message) => message.body)).toEqual([
      'Will you come to your follow-up, Maria? Reply YES to confirm or NO.',
    ]);

    // Neither filter holds: "yesterday" is not the word "yes", and "not now" is not "no".
    await sms(opened.numbers.phone, opened.patient.phone, 'I was busy yesterday, not now');
    await settle(clinic);
    const waiting = await getInstance(clinic, enrolled.id);
    expect(waiting).toMatchObject({ status: 'active', currentStage: 'ask' });
    expect(waiting.timeline.filter((step) => step.kind === 'event')).toEqual([]);

    await sms(opened.numbers.phone, opened.patient.phone, 'YES, I will be there.');
    await settle(clinic);
    const confirmed = await getInstance(clinic, enrolled.id);
    expect(confirmed).toMatchObject({ status: 'completed', currentStage: 'confirmed' });
    const moved = confirmed.timeline.find((step) => step.kind === 'event')!;
    expect(moved).toMatchObject({ stage: 'ask', summary: 'communication.created: on to confirmed.' });
    expect(moved.eventId).toEqual(expect.any(String));
  });
});

describe('which inbound messages journeys hear of', () => {
  it('a message from a number in a patient’s record is applied to the journeys; one from an unknown number adds no job', async () => {
    const clinic = await harness.newTenant();
    const opened = await openClinic(harness, clinic, { phone: nextPhone() });
    const applyJobs = async () =>
      Number((await harness.services.orm.em.fork().execute<{ count: string }[]>(`select count(*) from job where tenant_id = ? and kind = ?`, [clinic.tenant.id, APPLY_JOB]))[0].count);
    const before = await applyJobs();
    await sms(opened.numbers.phone, nextPhone(), 'hi');
    expect(await applyJobs()).toBe(before);
    await sms(opened.numbers.phone, opened.patient.phone, 'hi');
    expect(await applyJobs()).toBe(before + 1);
    await settle(clinic);
  });
});

describe('a journey with reenrol: false', () => {
  it('refuses to enrol a patient by hand again after an earlier instance ended (409), and a trigger enrols nobody', async () => {
    const clinic = await harness.newTenant();
    const opened = await openClinic(harness, clinic, { twilio: false, phone: nextPhone() });
    const once = { reenrol: false, stages: [{ key: 'wait', name: 'Wait', next: [{ to: 'end', after: { delay: '1d' } }] }, { key: 'end', name: 'End' }] };

    const manual = await publishJourney(clinic, 'Once by hand', { trigger: { kind: 'manual' }, ...once });
    const first = await clinic.call<InstanceBody>('POST', `${JOURNEYS}/${manual}/instances`, { patientId: opened.patient.id });
    await clinic.call('POST', `${JOURNEYS}/instances/${first.id}/cancel`);
    const refused = await expectRefusal(await clinic.request('POST', `${JOURNEYS}/${manual}/instances`, { body: { patientId: opened.patient.id } }), 409);
    expect(refused.message).toMatch(/does not enrol patients again \(reenrol: false\)/);
    expect(refused.details).toMatchObject({ reenrol: false });
    expect((await instancesOf(clinic, manual)).map((instance) => instance.id)).toEqual([first.id]);

    const triggered = await publishJourney(clinic, 'Once on booking', { trigger: { kind: 'event', event: 'appointment.booked' }, ...once });
    const day = (days: number) => `${DateTime.now().setZone('America/New_York').plus({ days }).toISODate()}T10:00`;
    const book = (days: number) => clinic.call<{ id: string }>('POST', `${API}/appointments`, { patientId: opened.patient.id, practitionerId: opened.practitionerId, startAt: day(days) });
    const booked = await book(5);
    await settle(clinic);
    await clinic.call('POST', `${API}/appointments/${booked.id}/cancel`, { reason: 'Cannot come' });
    await settle(clinic);
    expect((await instancesOf(clinic, triggered)).map((instance) => instance.status)).toEqual(['exited']);
    await book(6);
    await settle(clinic);
    expect((await instancesOf(clinic, triggered)).map((instance) => instance.status)).toEqual(['exited']);
  });
});
