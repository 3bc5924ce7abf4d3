import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRows } from '../src/db/statement.js';
import { newId } from '../src/ids.js';
import { Appointment } from '../src/modules/appointments/entities.js';
import { Communication } from '../src/modules/communications/entities.js';
import { Notification } from '../src/modules/notifications/entities.js';
import { Patient } from '../src/modules/patients/entities.js';
import { Job } from '../src/jobs/job.js';
import { API, addPatient, openClinic } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { drainUntil, expectRefusal, grantConsent, publishTemplate, tenantEm, type NotificationBody } from './support/notification-fixture.js';
import { startTwilioApi } from './support/twilio-api.js';

/**
 * One template to many patients: each gets a notification and an outcome of its own, one patient's
 * problem refuses only that patient, and a thousand are accepted in well under a second.
 */

let harness: Harness;
let twilioApi: Awaited<ReturnType<typeof startTwilioApi>>;

beforeAll(async () => {
  twilioApi = await startTwilioApi();
  harness = await createHarness({ config: { TWILIO_API_BASE_URL: twilioApi.url } });
});
afterAll(async () => {
  await twilioApi.close();
  await harness.close();
});

type BulkAnswer = {
  batchId: string;
  accepted: number;
  deduplicated: number;
  notifications: { patientId: string; notificationId: string; deduplicated: boolean }[];
  refused: { patientId: string; code: string; reason: string }[];
};

let phoneCounter = 0;
/** Patients inserted directly, many per statement (patients are another module's; this is only the test's setup). */
async function insertPatients(clinic: TestTenant, count: number, change: (patient: Patient, index: number) => void = () => {}): Promise<Patient[]> {
  const now = new Date();
  const patients = Array.from({ length: count }, (_, index): Patient => {
    const patient: Patient = {
      id: newId(),
      tenantId: clinic.tenant.id,
      givenName: `Given${index}`,
      familyName: 'Bulk',
      preferredName: null,
      dateOfBirth: '1980-01-01',
      sex: 'unknown',
      phone: `+1332${String(5_000_000 + phoneCounter++).padStart(7, '0')}`,
      email: null,
      address: null,
      preferredLanguage: null,
      preferredChannel: null,
      status: 'active',
      mergedIntoId: null,
      deletedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    change(patient, index);
    return patient;
  });
  for (let index = 0; index < patients.length; index += 3_000) {
    await harness.services.sql.query(insertRows(harness.services.orm, Patient, patients.slice(index, index + 3_000)));
  }
  return patients;
}

const bulk = (clinic: TestTenant, body: Record<string, unknown>) => clinic.call<BulkAnswer>('POST', `${API}/notifications/bulk`, body);

async function clinicWithTemplate(): Promise<{ clinic: TestTenant; practitionerId: string; locationId: string }> {
  const clinic = await harness.newTenant({ name: 'Harbor Clinic' });
  const opened = await openClinic(harness, clinic, { phone: '+13325559999' });
  await publishTemplate(clinic, { name: 'bulk-note', channel: 'sms', body: 'Hi {{ patient.givenName }}, {{ values.note }}' });
  await publishTemplate(clinic, {
    name: 'day-note',
    channel: 'sms',
    body: 'Hi {{ patient.givenName }}, your visit at {{ appointment.time }} with {{ appointment.practitionerName }} at {{ appointment.locationName }}: {{ values.note }}',
  });
  return { clinic, practitionerId: opened.practitionerId, locationId: opened.locationId };
}

describe('a bulk send by patient ids', () => {
  it('accepts 1,000 patients, each with their own notification, and lists the ones refused', async () => {
    const { clinic } = await clinicWithTemplate();
    const patients = await insertPatients(clinic, 1_000, (patient, index) => {
      if (index === 10) patient.phone = null;
      if (index === 20) {
        patient.status = 'deleted';
        patient.deletedAt = new Date();
      }
    });
    const unknown = newId();
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    // How fast it is accepted is the bench's to show (section Notifications), not a test's.
    const answer = await bulk(clinic, {
      recipients: { patientIds: [...patients.map((patient) => patient.id), unknown, patients[0].id] },
      channel: 'sms',
      purpose: 'care_messages',
      template: { name: 'bulk-note' },
      values: { note: 'the clinic is closed on Friday.' },
      sendAt,
    });

    expect(answer.accepted).toBe(998);
    expect(answer.deduplicated).toBe(0);
    expect(answer.refused.map((refusal) => [refusal.patientId, refusal.code])).toEqual([
      [patients[10].id, 'no_address'],
      [patients[20].id, 'patient_deleted'],
      [unknown, 'patient_not_found'],
    ]);
    expect(answer.refused[0].reason).toContain('no phone number');
    expect(new Set(answer.notifications.map((item) => item.patientId)).size).toBe(998);

    const em = tenantEm(harness, clinic);
    const stored = await em.find(Notification, { batchId: answer.batchId });
    expect(stored).toHaveLength(998);
    expect(stored.every((notification) => notification.state === 'scheduled' && notification.sendAt.toISOString() === sendAt && notification.templateVersion === 1)).toBe(true);
    const messages = new Map((await em.find(Communication, { id: { $in: stored.map((notification) => notification.communicationId) } })).map((message) => [message.id, message]));
    const byPatient = new Map(stored.map((notification) => [notification.patientId, messages.get(notification.communicationId)]));
    expect(byPatient.get(patients[5].id)).toMatchObject({ status: 'queued', body: 'Hi Given5, the clinic is closed on Friday.' });
    expect(byPatient.get(patients[999].id)?.body).toBe('Hi Given999, the clinic is closed on Friday.');
    // One dispatch job per 50, each due at the send time: together they name every notification once.
    const dispatches = await harness.services.orm.em.fork().find(Job, { tenantId: clinic.tenant.id, kind: 'notification.dispatch', status: 'pending' });
    expect(dispatches).toHaveLength(20);
    expect(dispatches.every((job) => job.runAt.getTime() === dispatches[0].runAt.getTime())).toBe(true);
    const named = dispatches.flatMap((job) => (job.payload as { notificationIds: string[] }).notificationIds);
    expect(named.sort()).toEqual(stored.map((notification) => notification.id).sort());
  });

  it('at the send time, each notification of a batch has its own outcome: sent, skipped with its reason, or left cancelled', async () => {
    const { clinic } = await clinicWithTemplate();
    const [revoked, cancelled, deleted, kept] = await insertPatients(clinic, 4);
    for (const patient of [revoked, cancelled, deleted, kept]) await grantConsent(clinic, patient.id, 'sms');
    const sendAt = new Date(Date.now() + 1_500).toISOString();
    const answer = await bulk(clinic, { recipients: { patientIds: [revoked, cancelled, deleted, kept].map((patient) => patient.id) }, channel: 'sms', purpose: 'care_messages', template: { name: 'bulk-note' }, values: { note: 'x' }, sendAt });
    const notificationOf = (patient: Patient) => answer.notifications.find((item) => item.patientId === patient.id)?.notificationId ?? '';
    await clinic.call('POST', `${API}/patients/${revoked.id}/consents/revoke`, { channel: 'sms', purpose: 'care_messages' });
    await clinic.call('POST', `${API}/notifications/${notificationOf(cancelled)}/cancel`, {});
    await clinic.call('DELETE', `${API}/patients/${deleted.id}`);

    const state = async (patient: Patient) => (await tenantEm(harness, clinic).findOneOrFail(Notification, { id: notificationOf(patient) })).state;
    await drainUntil(harness, clinic, async () => (await state(kept)) === 'dispatched' && twilioApi.sent.some((message) => message.to === kept.phone));
    const em = tenantEm(harness, clinic);
    const outcome = async (patient: Patient) => {
      const notification = await em.findOneOrFail(Notification, { id: notificationOf(patient) });
      const message = await em.findOneOrFail(Communication, { id: notification.communicationId });
      return [notification.state, message.status];
    };
    expect(await outcome(revoked)).toEqual(['skipped', 'not_sent']);
    expect(await outcome(cancelled)).toEqual(['cancelled', 'not_sent']);
    expect(await outcome(deleted)).toEqual(['skipped', 'not_sent']);
    expect(await outcome(kept)).toEqual(['dispatched', 'sent']);
    expect((await em.findOneOrFail(Notification, { id: notificationOf(revoked) })).skipReason).toMatch(/not consented/);
    expect((await em.findOneOrFail(Notification, { id: notificationOf(deleted) })).skipReason).toMatch(/deleted/);
    const phones = [revoked, cancelled, deleted, kept].map((patient) => patient.phone);
    expect(twilioApi.sent.filter((message) => phones.includes(message.to)).map((message) => message.to)).toEqual([kept.phone]);
  });

  it('with a dedupe key, sending again makes nothing new for those who have it', async () => {
    const { clinic } = await clinicWithTemplate();
    const patients = await insertPatients(clinic, 3);
    const body = { recipients: { patientIds: patients.slice(0, 2).map((patient) => patient.id) }, channel: 'sms', purpose: 'care_messages', template: { name: 'bulk-note' }, values: { note: 'x' }, dedupeKey: 'closure-2026-12' };
    const first = await bulk(clinic, body);
    expect(first).toMatchObject({ accepted: 2, deduplicated: 0 });
    const second = await bulk(clinic, { ...body, recipients: { patientIds: patients.map((patient) => patient.id) } });
    expect(second).toMatchObject({ accepted: 1, deduplicated: 2 });
    expect(second.notifications.filter((item) => item.deduplicated).map((item) => item.notificationId).sort()).toEqual(first.notifications.map((item) => item.notificationId).sort());
    const keys = (await tenantEm(harness, clinic).find(Notification, {})).map((notification) => notification.dedupeKey).sort();
    expect(keys).toEqual(patients.map((patient) => `closure-2026-12:${patient.id}`).sort());
  });

  it('a variable without a value for one patient refuses that patient only', async () => {
    const { clinic } = await clinicWithTemplate();
    await publishTemplate(clinic, { name: 'preferred', channel: 'sms', body: 'Hi {{ patient.givenName }} {{ patient.familyName }}' });
    const patients = await insertPatients(clinic, 2, (patient, index) => {
      if (index === 1) patient.familyName = ' ';
    });
    const answer = await bulk(clinic, { recipients: { patientIds: patients.map((patient) => patient.id) }, channel: 'sms', purpose: 'care_messages', template: { name: 'preferred' } });
    expect(answer.accepted).toBe(1);
    expect(answer.refused).toEqual([{ patientId: patients[1].id, code: 'missing_variable', reason: expect.stringContaining('patient.familyName') }]);
  });

  it('over 10,000 patient ids: 400 naming them; an unknown template: 404 naming it; nothing stored', async () => {
    const { clinic } = await clinicWithTemplate();
    const patientIds = Array.from({ length: 10_001 }, () => newId());
    await expectRefusal(await clinic.request('POST', `${API}/notifications/bulk`, { body: { recipients: { patientIds }, channel: 'sms', purpose: 'care_messages', template: { name: 'bulk-note' } } }), 400, 'recipients.patientIds');
    const [patient] = await insertPatients(clinic, 1);
    await expectRefusal(await clinic.request('POST', `${API}/notifications/bulk`, { body: { recipients: { patientIds: [patient.id] }, channel: 'sms', purpose: 'care_messages', template: { name: 'no-such' } } }), 404, 'template.name');
    await expectRefusal(await clinic.request('POST', `${API}/notifications/bulk`, { body: { recipients: { locationId: newId() }, channel: 'sms', purpose: 'care_messages', template: { name: 'bulk-note' } } }), 400, 'recipients.patientIds');
    expect(await tenantEm(harness, clinic).count(Notification, {})).toBe(0);
  });

  it('100,000 patient ids, or a 10 MB body: 413 before the body is read; nothing stored', async () => {
    const { clinic } = await clinicWithTemplate();
    const patientIds = Array.from({ length: 100_000 }, () => newId());
    const tooMany = await clinic.request('POST', `${API}/notifications/bulk`, { body: { recipients: { patientIds }, channel: 'sms', purpose: 'care_messages', template: { name: 'bulk-note' } } });
    expect((await expectRefusal(tooMany, 413)).code).toBe('payload_too_large');
    const [patient] = await insertPatients(clinic, 1);
    const huge = await clinic.request('POST', `${API}/notifications`, { body: { patientId: patient.id, channel: 'sms', purpose: 'care_messages', body: 'x'.repeat(10_000_000) } });
    expect((await expectRefusal(huge, 413)).code).toBe('payload_too_large');
    expect(await tenantEm(harness, clinic).count(Notification, {})).toBe(0);
  });
});

describe('a bulk send to the patients seen on a day', () => {
  // A Wednesday well ahead; the fixture's practitioner sees patients every day 09:00-17:00.
  const DAY = '2027-02-10';

  it('each patient once, with their first appointment that day as appointment.*; by location; not the cancelled', async () => {
    const { clinic, practitionerId } = await clinicWithTemplate();
    const location = await clinic.call<{ id: string }>('POST', `${API}/locations`, { name: 'Pier Annex' });
    const other = await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: 'Dr. Omar Reyes' });
    await clinic.call('PUT', `${API}/practitioners/${other.id}/schedule`, { rules: [3].map((weekday) => ({ weekday, startTime: '09:00', endTime: '17:00', slotMinutes: 30, locationId: location.id })) });
    const patient = (givenName: string) => addPatient(clinic, { givenName, familyName: 'Day', dateOfBirth: '1975-05-05', phone: `+1332555${String(phoneCounter++ % 10_000).padStart(4, '0')}` });
    const [ana, ben, cy, dee] = [await patient('Ana'), await patient('Ben'), await patient('Cy'), await patient('Dee')];
    const book = (patientId: string, practitioner: string, time: string) => clinic.call<{ id: string }>('POST', `${API}/appointments`, { patientId, practitionerId: practitioner, startAt: `${DAY}T${time}` });
    await book(ana.id, practitionerId, '11:00');
    const anaFirst = await book(ana.id, practitionerId, '09:00');
    await book(ben.id, practitionerId, '10:00');
    await book(cy.id, other.id, '14:30');
    const cancelled = await book(dee.id, practitionerId, '15:00');
    await clinic.call('POST', `${API}/appointments/${cancelled.id}/cancel`, { reason: 'moved away' });
    await clinic.call('POST', `${API}/appointments`, { patientId: dee.id, practitionerId, startAt: '2027-02-11T09:00' });

    const send = (recipients: Record<string, unknown>) => bulk(clinic, { recipients, channel: 'sms', purpose: 'appointment_reminders', template: { name: 'day-note' }, values: { note: 'bring your card' } });
    const all = await send({ appointmentsOn: DAY });
    expect(all.refused).toEqual([]);
    expect(all.notifications.map((item) => item.patientId).sort()).toEqual([ana.id, ben.id, cy.id].sort());
    const em = tenantEm(harness, clinic);
    const stored = await em.find(Notification, { batchId: all.batchId });
    const bodies = new Map((await em.find(Communication, { id: { $in: stored.map((notification) => notification.communicationId) } })).map((message) => [message.id, message.body]));
    const bodyOf = (patientId: string) => bodies.get(stored.find((notification) => notification.patientId === patientId)?.communicationId ?? '');
    expect(bodyOf(ana.id)).toBe('Hi Ana, your visit at 9:00 AM with Dr. Amelia Hart at Harbor Street: bring your card');
    expect(bodyOf(cy.id)).toBe('Hi Cy, your visit at 2:30 PM with Dr. Omar Reyes at Pier Annex: bring your card');
    expect(stored.find((notification) => notification.patientId === ana.id)?.appointmentId).toBe(anaFirst.id);

    const annex = await send({ appointmentsOn: DAY, locationId: location.id });
    expect(annex.notifications.map((item) => item.patientId)).toEqual([cy.id]);
    const hart = await send({ appointmentsOn: DAY, practitionerId });
    expect(hart.notifications.map((item) => item.patientId).sort()).toEqual([ana.id, ben.id].sort());
  });

  it('a filter that matches more than 10,000 patients: 422, nothing stored', async () => {
    const { clinic, locationId } = await clinicWithTemplate();
    const practitioners: string[] = [];
    for (let index = 0; index < 7; index += 1) practitioners.push((await clinic.call<{ id: string }>('POST', `${API}/practitioners`, { name: `Dr. ${index}` })).id);
    const patients = await insertPatients(clinic, 10_001);
    // 10,001 one-minute appointments on the day (05:00 UTC is midnight in New York), 1,440 per practitioner.
    const dayStart = Date.parse(`${DAY}T05:00:00Z`);
    const now = new Date();
    const appointments = patients.map((patient, index): Appointment => ({
      id: newId(),
      tenantId: clinic.tenant.id,
      patientId: patient.id,
      practitionerId: practitioners[Math.floor(index / 1_440)],
      locationId,
      startAt: new Date(dayStart + (index % 1_440) * 60_000),
      endAt: new Date(dayStart + ((index % 1_440) + 1) * 60_000),
      status: 'booked',
      reason: null,
      notes: null,
      cancelReason: null,
      confirmedAt: null,
      checkedInAt: null,
      completedAt: null,
      cancelledAt: null,
      createdAt: now,
      updatedAt: now,
    }));
    for (let index = 0; index < appointments.length; index += 3_000) {
      await harness.services.sql.query(insertRows(harness.services.orm, Appointment, appointments.slice(index, index + 3_000)));
    }
    const error = await expectRefusal(
      await clinic.request('POST', `${API}/notifications/bulk`, { body: { recipients: { appointmentsOn: DAY }, channel: 'sms', purpose: 'appointment_reminders', template: { name: 'day-note' } } }),
      422,
      'recipients',
    );
    expect(error.details).toEqual({ matched: 10_001, limit: 10_000 });
    expect(await tenantEm(harness, clinic).count(Notification, {})).toBe(0);
  }, 120_000);
});

describe('lists and totals', () => {
  it('filter by status (the derived one), channel, purpose, patient, batch and send time; totals by status and channel', async () => {
    const { clinic } = await clinicWithTemplate();
    const patients = await insertPatients(clinic, 4);
    const [first, second] = [patients[0], patients[1]];
    await grantConsent(clinic, first.id, 'sms');
    const batch = await bulk(clinic, { recipients: { patientIds: patients.map((patient) => patient.id) }, channel: 'sms', purpose: 'care_messages', template: { name: 'bulk-note' }, values: { note: 'x' } });
    const later = await clinic.call<NotificationBody>('POST', `${API}/notifications`, { patientId: second.id, channel: 'sms', purpose: 'marketing', body: 'Offer', sendAt: '2027-03-01T10:00' });
    const idOf = (patientId: string) => batch.notifications.find((item) => item.patientId === patientId)?.notificationId;
    await clinic.call('POST', `${API}/notifications/${idOf(patients[3].id)}/cancel`, {});
    // Due now: the consenting patient's is sent, the others are skipped (no consent).
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });

    type Page = { items: NotificationBody[]; nextCursor: string | null };
    const list = (query: string) => clinic.call<Page>('GET', `${API}/notifications?${query}`);
    expect((await list(`batchId=${batch.batchId}&status=sent`)).items.map((item) => item.id)).toEqual([idOf(first.id)]);
    expect((await list(`batchId=${batch.batchId}&status=skipped`)).items.map((item) => item.id).sort()).toEqual([idOf(second.id), idOf(patients[2].id)].sort());
    expect((await list('status=cancelled,scheduled')).items.map((item) => item.id).sort()).toEqual([idOf(patients[3].id), later.id].sort());
    expect((await list('purpose=marketing')).items.map((item) => item.id)).toEqual([later.id]);
    expect((await list(`patientId=${second.id}`)).items.map((item) => item.id)).toEqual([later.id, idOf(second.id)]);
    expect((await list('since=2027-01-01T00:00:00Z')).items.map((item) => item.id)).toEqual([later.id]);
    expect((await list(`until=2027-01-01T00:00:00Z&channel=sms`)).items).toHaveLength(4);
    expect((await list('channel=email')).items).toEqual([]);

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual((await list('limit=50')).items.map((item) => item.id));
    expect(pages).toHaveLength(5);

    const stats = await clinic.call<{ total: number; byStatus: Record<string, number>; byChannel: Record<string, number>; byChannelAndStatus: unknown[] }>('GET', `${API}/notifications/stats`);
    expect(stats.total).toBe(5);
    expect(stats.byStatus).toMatchObject({ sent: 1, skipped: 2, cancelled: 1, scheduled: 1, queued: 0 });
    expect(stats.byChannel).toEqual({ whatsapp: 0, sms: 5, email: 0 });
    expect(stats.byChannelAndStatus).toContainEqual({ channel: 'sms', status: 'skipped', count: 2 });
    const ofBatch = await clinic.call<{ total: number; byStatus: Record<string, number> }>('GET', `${API}/notifications/stats?batchId=${batch.batchId}`);
    expect(ofBatch.total).toBe(4);
    expect(ofBatch.byStatus.scheduled).toBe(0);
  });
});
