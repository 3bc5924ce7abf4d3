import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { Communication } from '../src/modules/communications/entities.js';
import { takeSendSlots } from '../src/modules/notifications/statements.js';
import { quietHoursEnd } from '../src/modules/notifications/quiet-hours.js';
import { Job } from '../src/jobs/job.js';
import { API, addPatient, openClinic } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { drainUntil, expectRefusal, grantConsent, tenantEm, type NotificationBody, type NotificationDetailBody } from './support/notification-fixture.js';
import { startTwilioApi } from './support/twilio-api.js';

/**
 * When notifications leave: not inside the clinic's quiet hours (they wait for the end, computed in
 * the clinic's zone, right on DST days), and no faster than the clinic's send rate, across concurrent
 * dispatches.
 */

const NEW_YORK = 'America/New_York';
const at = (iso: string) => new Date(iso);
const end = (now: string, start: string, endTime: string, zone = NEW_YORK) => quietHoursEnd(at(now), { start, end: endTime }, zone)?.toISOString() ?? null;

describe('quietHoursEnd', () => {
  it('a window within a day: its end when inside, nothing outside; the start is inside, the end is not', () => {
    expect(end('2026-12-02T17:30:00Z', '12:00', '13:00')).toBe('2026-12-02T18:00:00.000Z'); // 12:30 EST
    expect(end('2026-12-02T17:00:00Z', '12:00', '13:00')).toBe('2026-12-02T18:00:00.000Z'); // 12:00 EST
    expect(end('2026-12-02T16:59:59Z', '12:00', '13:00')).toBeNull();
    expect(end('2026-12-02T18:00:00Z', '12:00', '13:00')).toBeNull();
  });

  it('a window across midnight: late evening and early morning are inside, until the morning’s end', () => {
    expect(end('2026-12-03T04:30:00Z', '22:00', '07:00')).toBe('2026-12-03T12:00:00.000Z'); // 23:30 EST → 07:00
    expect(end('2026-12-03T07:00:00Z', '22:00', '07:00')).toBe('2026-12-03T12:00:00.000Z'); // 02:00 EST
    expect(end('2026-12-03T11:59:00Z', '22:00', '07:00')).toBe('2026-12-03T12:00:00.000Z'); // 06:59 EST
    expect(end('2026-12-03T02:59:00Z', '22:00', '07:00')).toBeNull(); // 21:59 EST
    expect(end('2026-12-03T12:00:00Z', '22:00', '07:00')).toBeNull(); // 07:00 EST
  });

  it('spring forward (2026-03-08, 02:00 EST → 03:00 EDT): the window ends at 07:00 EDT, an hour sooner than counted in hours', () => {
    expect(end('2026-03-08T06:30:00Z', '22:00', '07:00')).toBe('2026-03-08T11:00:00.000Z'); // 01:30 EST
    expect(end('2026-03-08T04:00:00Z', '00:00', '07:00')).toBeNull(); // 23:00 EST the day before
    expect(end('2026-03-08T05:00:00Z', '00:00', '07:00')).toBe('2026-03-08T11:00:00.000Z'); // 00:00 EST
  });

  it('spring forward past the end (02:30 never happens): the window ends when the clocks jump, at 03:00 EDT', () => {
    expect(end('2026-03-08T06:30:00Z', '22:00', '02:30')).toBe('2026-03-08T07:00:00.000Z');
    // A window that begins in the skipped hour holds from 03:00 EDT on.
    expect(end('2026-03-08T06:59:00Z', '02:30', '04:00')).toBeNull(); // 01:59 EST
    expect(end('2026-03-08T07:15:00Z', '02:30', '04:00')).toBe('2026-03-08T08:00:00.000Z'); // 03:15 EDT → 04:00 EDT
  });

  it('fall back (2026-11-01, 02:00 EDT → 01:00 EST): the window ends at 07:00 EST, an hour later than counted in hours', () => {
    expect(end('2026-11-01T04:30:00Z', '22:00', '07:00')).toBe('2026-11-01T12:00:00.000Z'); // 00:30 EDT
    expect(end('2026-11-01T06:30:00Z', '22:00', '07:00')).toBe('2026-11-01T12:00:00.000Z'); // 01:30 EST (the second one)
  });

  it('fall back with the end in the repeated hour: the first 01:30 ends it, and the second 01:00-01:30 is quiet again', () => {
    expect(end('2026-11-01T04:45:00Z', '22:00', '01:30')).toBe('2026-11-01T05:30:00.000Z'); // 00:45 EDT → 01:30 EDT
    expect(end('2026-11-01T05:40:00Z', '22:00', '01:30')).toBeNull(); // 01:40 EDT
    expect(end('2026-11-01T06:10:00Z', '22:00', '01:30')).toBe('2026-11-01T06:30:00.000Z'); // 01:10 EST → 01:30 EST
    // The wall clock never reads 02:00 EDT: a window ending at 02:00 goes on through the repeated hour to 02:00 EST.
    expect(end('2026-11-01T05:30:00Z', '22:00', '02:00')).toBe('2026-11-01T07:00:00.000Z');
  });

  it('other zones: a half-hour offset, and a zone without DST', () => {
    expect(end('2026-06-01T16:00:00Z', '21:00', '08:00', 'Asia/Kolkata')).toBe('2026-06-02T02:30:00.000Z'); // 21:30 IST → 08:00 IST
    expect(end('2026-06-01T16:00:00Z', '21:00', '08:00', 'UTC')).toBeNull();
    expect(end('2026-06-01T23:00:00Z', '21:00', '08:00', 'UTC')).toBe('2026-06-02T08:00:00.000Z');
  });
});

describe('quiet hours, end to end (fall-back night in New York)', () => {
  // 00:30 EDT on 2026-11-01: the clocks go back at 02:00, so the quiet hours end at 07:00 EST, 12:00 UTC.
  const clock = fixedClock(at('2026-11-01T04:30:00Z'));
  let harness: Harness;
  let twilioApi: Awaited<ReturnType<typeof startTwilioApi>>;

  beforeAll(async () => {
    twilioApi = await startTwilioApi();
    harness = await createHarness({ clock, config: { TWILIO_API_BASE_URL: twilioApi.url } });
  });
  afterAll(async () => {
    await twilioApi.close();
    await harness.close();
  });

  /**
   * Time passes for the service (its clock) and for the jobs: they run by the database's clock, which
   * a test cannot move, so the clinic's pending jobs are moved as much closer to it.
   */
  async function travel(clinic: TestTenant, milliseconds: number) {
    clock.advance(milliseconds);
    await harness.services.orm.em.fork().getConnection().execute(`update job set run_at = run_at - ? * interval '1 millisecond' where tenant_id = ? and status = 'pending'`, [milliseconds, clinic.tenant.id]);
  }

  it('a notification due inside is sent at the window’s end, not before, even if its job runs early', async () => {
    const clinic = await harness.newTenant({ timeZone: NEW_YORK });
    const { patient } = await openClinic(harness, clinic, { phone: '+12125550188' });
    await grantConsent(clinic, patient.id, 'whatsapp');
    await clinic.call('PATCH', `${API}/clinic`, { quietHours: { start: '22:00', end: '07:00' } });
    const settle = () => harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    const sent = () => twilioApi.sent.filter((message) => message.to === `whatsapp:${patient.phone}`);

    const accepted = await clinic.call<NotificationBody>('POST', `${API}/notifications`, { patientId: patient.id, channel: 'whatsapp', purpose: 'care_messages', body: 'Good morning' });
    expect(accepted.sendAt).toBe('2026-11-01T04:30:00.000Z');
    await settle();
    expect(sent()).toHaveLength(0);
    const waiting = await harness.services.orm.em.fork().find(Job, { tenantId: clinic.tenant.id, kind: 'notification.dispatch', status: 'pending' });
    expect(waiting).toHaveLength(1);
    // Due in 7.5 hours (07:00 EST), not the 6.5 hours a count in wall-clock hours would give.
    expect(waiting[0].runAt.getTime() - Date.now()).toBeGreaterThan(7.5 * 3_600_000 - 60_000);
    expect(waiting[0].runAt.getTime() - Date.now()).toBeLessThanOrEqual(7.5 * 3_600_000);

    // 06:59 EST: a minute to go; its job is not due yet. Run it anyway: it checks again and waits again.
    await travel(clinic, 7.5 * 3_600_000 - 60_000);
    await settle();
    expect(sent()).toHaveLength(0);
    await harness.services.orm.em.fork().getConnection().execute(`update job set run_at = now() where tenant_id = ? and status = 'pending'`, [clinic.tenant.id]);
    await settle();
    expect(sent()).toHaveLength(0);
    expect((await clinic.call<NotificationDetailBody>('GET', `${API}/notifications/${accepted.id}`)).status).toBe('scheduled');

    await travel(clinic, 60_000);
    await settle();
    expect(sent().map((message) => message.body)).toEqual(['Good morning']);
    expect(await clinic.call<NotificationDetailBody>('GET', `${API}/notifications/${accepted.id}`)).toMatchObject({ status: 'sent', dispatchedAt: '2026-11-01T12:00:00.000Z' });
  });

  it('the setting: shown with the clinic, cleared with null, refused when malformed', async () => {
    const clinic = await harness.newTenant();
    expect(await clinic.call('PATCH', `${API}/clinic`, { quietHours: { start: '21:30', end: '08:00' }, sendRatePerSecond: 2.5 })).toMatchObject({
      quietHours: { start: '21:30', end: '08:00' },
      sendRatePerSecond: 2.5,
    });
    expect(await clinic.call('GET', `${API}/clinic`)).toMatchObject({ quietHours: { start: '21:30', end: '08:00' }, sendRatePerSecond: 2.5 });
    expect(await clinic.call('PATCH', `${API}/clinic`, { quietHours: null, sendRatePerSecond: null })).toMatchObject({ quietHours: null, sendRatePerSecond: null });
    await expectRefusal(await clinic.request('PATCH', `${API}/clinic`, { body: { quietHours: { start: '24:00', end: '07:00' } } }), 400, 'quietHours.start');
    await expectRefusal(await clinic.request('PATCH', `${API}/clinic`, { body: { quietHours: { start: '07:00', end: '07:00' } } }), 400, 'quietHours.end');
    await expectRefusal(await clinic.request('PATCH', `${API}/clinic`, { body: { sendRatePerSecond: 0 } }), 400, 'sendRatePerSecond');
  });
});

describe('the clinic’s send rate', () => {
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

  it('slots taken at the same moment from many connections are distinct and 1/rate apart', async () => {
    const clinic = await harness.newTenant();
    // Twelve dispatches at once, taking 1, 2 or 3 slots each: their runs of slots follow one another with no gap and no overlap.
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        harness.services.sql.transaction(async (sql) => {
          const count = 1 + (index % 3);
          const [row] = await sql.query<{ slot: Date | string }>(takeSendSlots({ tenantId: clinic.tenant.id, intervalMs: 250, count }));
          return { first: new Date(row.slot).getTime(), count };
        }),
      ),
    );
    const sorted = [...runs].sort((a, b) => a.first - b.first);
    expect(sorted.slice(1).map((run, index) => run.first - sorted[index].first)).toEqual(sorted.slice(0, -1).map((run) => run.count * 250));
  });

  it('deliveries of concurrent dispatches are paced 1/rate apart, and none leaves before its slot', async () => {
    const clinic = await harness.newTenant();
    const { patient } = await openClinic(harness, clinic, { phone: '+12125550190' });
    await clinic.call('PATCH', `${API}/clinic`, { sendRatePerSecond: 5 });
    const patients = [patient.id];
    for (let index = 0; index < 7; index += 1) {
      patients.push((await addPatient(clinic, { givenName: `P${index}`, familyName: 'Paced', dateOfBirth: '1980-01-01', phone: `+1212555030${index}` })).id);
    }
    for (const id of patients) await grantConsent(clinic, id, 'whatsapp');
    const accepted: NotificationBody[] = [];
    for (const id of patients) accepted.push(await clinic.call<NotificationBody>('POST', `${API}/notifications`, { patientId: id, channel: 'whatsapp', purpose: 'care_messages', body: 'Paced' }));

    // The dispatch jobs are all due: the worker runs them side by side (four at a time).
    await harness.services.jobs.drain({ tenantId: clinic.tenant.id });
    const communicationIds = accepted.map((notification) => notification.communicationId);
    const deliveries = (await harness.services.orm.em.fork().find(Job, { tenantId: clinic.tenant.id, kind: 'message.deliver' })).filter((job) => communicationIds.includes(String(job.payload.messageId)));
    expect(deliveries).toHaveLength(8);
    const slots = deliveries.map((job) => job.runAt.getTime()).sort((a, b) => a - b);
    expect(slots.slice(1).map((slot, index) => slot - slots[index])).toEqual(Array(7).fill(200));

    const em = tenantEm(harness, clinic);
    const statuses = async () => (await em.fork().find(Communication, { id: { $in: communicationIds } })).map((communication) => communication.status);
    await drainUntil(harness, clinic, async () => (await statuses()).every((status) => status === 'sent'));
    for (const job of deliveries) {
      const communication = await em.findOneOrFail(Communication, { id: String(job.payload.messageId) });
      expect(communication.status).toBe('sent');
      expect(communication.sentAt?.getTime()).toBeGreaterThanOrEqual(job.runAt.getTime());
    }
  });
});
