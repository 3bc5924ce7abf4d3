import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainEvent } from '../src/events.js';
import { reminderChannel } from '../src/modules/reminders/sync.js';
import { ACCOUNT_SID, API, AUTH_TOKEN, openClinic } from './support/clinic-fixture.js';
import { randomSid } from './support/conversation-driver.js';
import type { Harness, TestTenant } from './support/harness.js';
import { servedHarness, type ServedHarness } from './support/served-harness.js';
import { drainUntil, expectRefusal, grantConsent, publishTemplate, tenantEm, WHATSAPP_CONTENT_SID, type NotificationDetailBody } from './support/notification-fixture.js';
import { signedTwilioRequest } from './support/twilio-api.js';

/**
 * Appointment reminders: made when an appointment is booked, moved when it moves, cancelled when it is
 * cancelled, driven by the appointment's events; never sent for a time the appointment no longer has.
 */

let harness: Harness;
let service: ServedHarness['service'];
let served: ServedHarness;
let twilioApi: ServedHarness['twilioApi'];
let phoneCounter = 2000;
const nextPhone = () => `+1917555${String(phoneCounter++).padStart(4, '0')}`;
const HOUR = 3_600_000;

beforeAll(async () => {
  served = await servedHarness();
  ({ harness, twilioApi, service } = served);
});
afterAll(() => served.close());

type Setup = { clinic: TestTenant; patient: { id: string; phone: string }; practitionerId: string; whatsappNumber: string };
type Reminder = { id: string; state: string; status: string; sendAt: string; skipReason: string | null; communicationId: string };

const REMINDERS = {
  offsets: [
    { hoursBefore: 24, template: 'reminder-day' },
    { hoursBefore: 2, template: 'reminder-soon' },
  ],
  channels: ['whatsapp', 'sms'],
};

/** A clinic with Twilio, reminder templates and settings, and a patient who agreed to reminders on WhatsApp. */
async function clinicWithReminders(reminders: Record<string, unknown> = REMINDERS): Promise<Setup> {
  const clinic = await harness.newTenant({ name: 'Harbor Clinic' });
  const opened = await openClinic(harness, clinic, { phone: nextPhone() });
  for (const name of ['reminder-day', 'reminder-soon']) {
    await publishTemplate(clinic, {
      name,
      channel: 'whatsapp',
      body: 'Hi {{ patient.givenName }}, a reminder of your visit on {{ appointment.startLocal }} with {{ appointment.practitionerName }}. Reply C to confirm.',
      contentSid: WHATSAPP_CONTENT_SID,
      contentVariables: { '1': '{{ patient.givenName }}', '2': '{{ appointment.startLocal }}' },
    });
  }
  await clinic.call('PATCH', `${API}/clinic`, { reminders });
  await grantConsent(clinic, opened.patient.id, 'whatsapp', 'appointment_reminders');
  return { clinic, patient: opened.patient, practitionerId: opened.practitionerId, whatsappNumber: opened.numbers.whatsapp };
}

/** A clinic-local time `days` ahead at `time` (the practitioner sees patients 09:00-17:00 every day). */
const daysAhead = (days: number, time: string) => `${DateTime.now().setZone('America/New_York').plus({ days }).toISODate()}T${time}`;

const settle = (clinic: TestTenant) => harness.services.jobs.drain({ tenantId: clinic.tenant.id });

async function remindersOf(setup: Setup): Promise<Reminder[]> {
  const page = await setup.clinic.call<{ items: Reminder[] }>('GET', `${API}/notifications?patientId=${setup.patient.id}&purpose=appointment_reminders&limit=50`);
  return page.items.sort((a, b) => a.sendAt.localeCompare(b.sendAt));
}

async function book(setup: Setup, startAt: string): Promise<{ id: string; startAt: string }> {
  const appointment = await setup.clinic.call<{ id: string; startAt: string }>('POST', `${API}/appointments`, { patientId: setup.patient.id, practitionerId: setup.practitionerId, startAt });
  await settle(setup.clinic);
  return appointment;
}

/** Makes the notification's dispatch due now, as the clock reaching its send time would. */
async function dueNow(clinic: TestTenant, notificationId: string): Promise<void> {
  await harness.services.orm.em
    .fork()
    .getConnection()
    .execute(`update job set run_at = now() where tenant_id = ? and kind = 'notification.dispatch' and payload->'notificationIds' @> jsonb_build_array(?::text)`, [clinic.tenant.id, notificationId]);
}

const at = (startAt: string, hoursBefore: number) => new Date(new Date(startAt).getTime() - hoursBefore * HOUR).toISOString();

describe('appointment reminders', () => {
  it('are made when an appointment is booked, one per offset, on the patient’s channel', async () => {
    const setup = await clinicWithReminders();
    const appointment = await book(setup, daysAhead(3, '10:00'));
    const reminders = await remindersOf(setup);
    expect(reminders.map((reminder) => [reminder.state, reminder.sendAt])).toEqual([
      ['scheduled', at(appointment.startAt, 24)],
      ['scheduled', at(appointment.startAt, 2)],
    ]);
    const shown = await setup.clinic.call<NotificationDetailBody>('GET', `${API}/notifications/${reminders[0].id}`);
    expect(shown.communication).toMatchObject({ channel: 'whatsapp', contact: setup.patient.phone });
    expect(shown.communication.body).toContain('with Dr. Amelia Hart. Reply C to confirm.');
  });

  it('move with the appointment: the old ones cancelled, new ones for the new time', async () => {
    const setup = await clinicWithReminders();
    const appointment = await book(setup, daysAhead(3, '10:00'));
    const before = await remindersOf(setup);
    const moved = await setup.clinic.call<{ startAt: string }>('POST', `${API}/appointments/${appointment.id}/reschedule`, { startAt: daysAhead(4, '14:30') });
    await settle(setup.clinic);
    const after = await remindersOf(setup);
    const byId = new Map(after.map((reminder) => [reminder.id, reminder]));
    expect(before.map((reminder) => byId.get(reminder.id)?.state)).toEqual(['cancelled', 'cancelled']);
    expect(after.filter((reminder) => reminder.state === 'scheduled').map((reminder) => reminder.sendAt)).toEqual([at(moved.startAt, 24), at(moved.startAt, 2)]);

    // The same event handled again (a retried job) changes nothing.
    await settle(setup.clinic);
    expect(await remindersOf(setup)).toHaveLength(4);
  });

  it('replace only reminders while the appointment stays booked: a staff message about it is left to its own send-time check', async () => {
    const setup = await clinicWithReminders();
    await grantConsent(setup.clinic, setup.patient.id, 'whatsapp', 'care_messages');
    const appointment = await setup.clinic.call<{ id: string; startAt: string }>('POST', `${API}/appointments`, { patientId: setup.patient.id, practitionerId: setup.practitionerId, startAt: daysAhead(3, '15:00') });
    // Sent before the booking's reminders were made (their job has not run yet).
    const staff = await setup.clinic.call<{ id: string }>('POST', `${API}/notifications`, {
      patientId: setup.patient.id, channel: 'whatsapp', purpose: 'care_messages', appointmentId: appointment.id, body: 'Please bring your insurance card.', sendAt: daysAhead(2, '09:00'),
    });
    await settle(setup.clinic);
    await setup.clinic.call('POST', `${API}/appointments/${appointment.id}/reschedule`, { startAt: daysAhead(4, '15:00') });
    await settle(setup.clinic);
    expect(await setup.clinic.call<{ state: string }>('GET', `${API}/notifications/${staff.id}`)).toMatchObject({ state: 'scheduled' });

    await setup.clinic.call('POST', `${API}/appointments/${appointment.id}/cancel`, { reason: 'Patient is travelling' });
    await settle(setup.clinic);
    expect(await setup.clinic.call<{ state: string }>('GET', `${API}/notifications/${staff.id}`)).toMatchObject({ state: 'cancelled' });
  });

  it('are cancelled with the appointment', async () => {
    const setup = await clinicWithReminders();
    const appointment = await book(setup, daysAhead(3, '11:00'));
    await setup.clinic.call('POST', `${API}/appointments/${appointment.id}/cancel`, { reason: 'Patient is travelling' });
    await settle(setup.clinic);
    expect((await remindersOf(setup)).map((reminder) => reminder.state)).toEqual(['cancelled', 'cancelled']);
  });

  it('are made only for the offsets still ahead', async () => {
    const setup = await clinicWithReminders({ ...REMINDERS, offsets: [{ hoursBefore: 24 * 20, template: 'reminder-day' }, { hoursBefore: 2, template: 'reminder-soon' }] });
    const appointment = await book(setup, daysAhead(3, '12:00'));
    expect((await remindersOf(setup)).map((reminder) => reminder.sendAt)).toEqual([at(appointment.startAt, 2)]);
  });

  it('are sent at their time through the clinic’s Twilio, as the approved WhatsApp template', async () => {
    const setup = await clinicWithReminders();
    await book(setup, daysAhead(3, '15:00'));
    const [first] = await remindersOf(setup);
    await dueNow(setup.clinic, first.id);
    await settle(setup.clinic);
    const sent = twilioApi.sent.filter((message) => message.to === `whatsapp:${setup.patient.phone}`);
    expect(sent.map((message) => message.contentSid)).toEqual([WHATSAPP_CONTENT_SID]);
    expect(JSON.parse(sent[0].contentVariables ?? '{}')).toMatchObject({ '1': 'Maria' });
    expect((await remindersOf(setup))[0]).toMatchObject({ id: first.id, state: 'dispatched', status: 'sent' });
  });

  it('a reply "C" confirms the appointment, once the patient has said who they are', async () => {
    const setup = await clinicWithReminders();
    const appointment = await book(setup, daysAhead(3, '15:00'));
    const [first] = await remindersOf(setup);
    await dueNow(setup.clinic, first.id);
    await settle(setup.clinic);
    const toPatient = () => twilioApi.sent.filter((message) => message.to === `whatsapp:${setup.patient.phone}`);
    expect(toPatient()).toHaveLength(1);
    const reply = async (body: string): Promise<string> => {
      const url = `${service.url}/channels/twilio/messages`;
      const params = { MessageSid: randomSid(), AccountSid: ACCOUNT_SID, From: `whatsapp:${setup.patient.phone}`, To: `whatsapp:${setup.whatsappNumber}`, Body: body, NumMedia: '0' };
      expect((await fetch(url, signedTwilioRequest({ url, authToken: AUTH_TOKEN, params }))).status).toBe(200);
      const before = toPatient().length;
      await drainUntil(harness, setup.clinic, () => toPatient().length > before);
      return toPatient().at(-1)?.body ?? '';
    };

    expect(await reply('C')).toMatch(/date of birth/i);
    expect(await reply('1984-03-12')).toMatch(/confirmed/i);
    const shown = await setup.clinic.call<{ status: string }>('GET', `${API}/appointments/${appointment.id}`);
    expect(shown.status).toBe('confirmed');
  });

  it('are never sent for a time the appointment no longer has, even before they catch up with the change', async () => {
    const setup = await clinicWithReminders();
    const appointment = await book(setup, daysAhead(3, '13:00'));
    const [first] = await remindersOf(setup);
    // The appointment moves, and its reminder falls due before the reminders job has run for the move.
    await harness.services.orm.em
      .fork()
      .getConnection()
      .execute(`update appointment set start_at = start_at + interval '1 hour', end_at = end_at + interval '1 hour' where tenant_id = ? and id = ?`, [setup.clinic.tenant.id, appointment.id]);
    await dueNow(setup.clinic, first.id);
    await settle(setup.clinic);
    const shown = (await remindersOf(setup)).find((reminder) => reminder.id === first.id);
    expect(shown).toMatchObject({ state: 'skipped' });
    expect(shown?.skipReason).toContain('moved, cancelled or ended');
    expect(twilioApi.sent.filter((message) => message.to === `whatsapp:${setup.patient.phone}`)).toEqual([]);
  });

  it('say why one could not be made (no template for the channel), and make the others', async () => {
    const setup = await clinicWithReminders({ offsets: [{ hoursBefore: 24, template: 'reminder-day' }, { hoursBefore: 2, template: 'no-such-template' }], channels: ['whatsapp'] });
    const appointment = await book(setup, daysAhead(3, '16:00'));
    expect((await remindersOf(setup)).map((reminder) => reminder.sendAt)).toEqual([at(appointment.startAt, 24)]);
    const events = await tenantEm(harness, setup.clinic).find(DomainEvent, { type: 'reminder.not_scheduled', entityId: appointment.id });
    expect(events.map((event) => event.payload.code)).toEqual(['not_found']);
  });

  it('settings are checked: template names, one reminder per time, known channels', async () => {
    const setup = await clinicWithReminders();
    for (const [reminders, field] of [
      [{ offsets: [{ hoursBefore: 24, template: 'Bad Name' }], channels: ['sms'] }, 'reminders.offsets.0.template'],
      [{ offsets: [{ hoursBefore: 2, template: 'a' }, { hoursBefore: 2, template: 'b' }], channels: ['sms'] }, 'reminders.offsets'],
      [{ offsets: [{ hoursBefore: 2, template: 'a' }], channels: ['fax'] }, 'reminders.channels.0'],
      [{ offsets: [{ hoursBefore: 0, template: 'a' }], channels: ['sms'] }, 'reminders.offsets.0.hoursBefore'],
    ] as const) {
      await expectRefusal(await setup.clinic.request('PATCH', `${API}/clinic`, { body: { reminders } }), 400, field);
    }
    expect((await setup.clinic.call<{ reminders: unknown }>('GET', `${API}/clinic`)).reminders).toEqual(REMINDERS);
  });

  it('go to the patient’s own channel when the clinic uses it and they have an address for it', () => {
    const channels = ['whatsapp', 'sms', 'email'] as const;
    expect(reminderChannel({ phone: '+12125550100', email: null, preferredChannel: 'sms' }, channels)).toBe('sms');
    expect(reminderChannel({ phone: null, email: 'a@example.org', preferredChannel: 'sms' }, channels)).toBe('email');
    expect(reminderChannel({ phone: '+12125550100', email: 'a@example.org', preferredChannel: null }, channels)).toBe('whatsapp');
    expect(reminderChannel({ phone: null, email: null, preferredChannel: null }, channels)).toBeUndefined();
  });
});
