import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import type { Caller } from '../src/context.js';
import { runOperation } from '../src/tools/runner.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { API, countRows, createLocation, createPatient, createScheduledPractitioner, expectError, searchSlots } from './appointments-fixtures.js';

// Wednesday 2026-11-25, 07:00 in New York.
const clock = fixedClock(new Date('2026-11-25T12:00:00Z'));
let harness: Harness;
let clinic: TestTenant;
let intruder: TestTenant;
let world: Awaited<ReturnType<typeof seed>>;

beforeAll(async () => {
  harness = await createHarness({ clock });
  clinic = await harness.newTenant({ timeZone: 'America/New_York' });
  intruder = await harness.newTenant({ timeZone: 'America/New_York' });
  world = await seed(clinic);
});
afterAll(() => harness.close());

type Appointment = { id: string; patientId: string; practitionerId: string; locationId: string; startAt: string; status: string };
type Page = { items: Appointment[]; nextCursor: string | null };

/** Two practitioners at two locations, three patients, six appointments (two at the same time). */
async function seed(tenant: TestTenant) {
  const north = await createLocation(tenant, 'North');
  const south = await createLocation(tenant, 'South');
  const a = await createScheduledPractitioner(tenant, { name: 'Dr. A', locationId: north });
  const b = await createScheduledPractitioner(tenant, { name: 'Dr. B', locationId: south });
  const [p1, p2, p3] = [await createPatient(harness, tenant, 'One'), await createPatient(harness, tenant, 'Two'), await createPatient(harness, tenant, 'Three')];
  const make = (patientId: string, practitionerId: string, startAt: string) =>
    tenant.call<Appointment>('POST', `${API}/appointments`, { patientId, practitionerId, startAt });
  const appointments = [
    await make(p1, a.practitionerId, '2026-12-01T09:00'),
    await make(p2, b.practitionerId, '2026-12-01T09:00'),
    await make(p1, a.practitionerId, '2026-12-02T10:00'),
    await make(p3, b.practitionerId, '2026-12-02T11:00'),
    await make(p2, a.practitionerId, '2026-12-03T09:30'),
    await make(p1, b.practitionerId, '2026-12-04T11:30'),
  ];
  await tenant.call('POST', `${API}/appointments/${appointments[3].id}/cancel`, { reason: 'Sick' });
  await tenant.call('POST', `${API}/appointments/${appointments[4].id}/confirm`);
  return { north, south, a, b, patients: [p1, p2, p3], appointments };
}


const list = (query: string, tenant = clinic) => tenant.call<Page>('GET', `${API}/appointments?${query}`);
const ids = (page: Page) => page.items.map((item) => item.id);

describe('list_appointments', () => {
  it('sorts by start (then id) and filters by patient, practitioner, location, status and range', async () => {
    const [first, second, third, fourth, fifth, sixth] = world.appointments;
    const sameTime = [first, second].map((item) => item.id).sort();
    expect(ids(await list(''))).toEqual([...sameTime, third.id, fourth.id, fifth.id, sixth.id]);
    expect(ids(await list(`patientId=${world.patients[0]}`))).toEqual([first.id, third.id, sixth.id]);
    expect(ids(await list(`practitionerId=${world.b.practitionerId}`))).toEqual([second.id, fourth.id, sixth.id]);
    expect(ids(await list(`locationId=${world.north}`))).toEqual([first.id, third.id, fifth.id]);
    expect(ids(await list('status=cancelled,confirmed'))).toEqual([fourth.id, fifth.id]);
    expect(ids(await list('status=cancelled&status=booked&practitionerId=' + world.b.practitionerId))).toEqual([second.id, fourth.id, sixth.id]);
    expect(ids(await list('from=2026-12-02&to=2026-12-03'))).toEqual([third.id, fourth.id, fifth.id]);
    // Instants: `from` inclusive, `to` exclusive (the fifth starts at 09:30 local = 14:30Z).
    expect(ids(await list('from=2026-12-02T11:00&to=2026-12-03T14:30:00Z'))).toEqual([fourth.id]);
    expect(ids(await list('from=2026-12-02T11:00:01&to=2026-12-03T14:30:01Z'))).toEqual([fifth.id]);
  });

  it('pages through with a keyset cursor, including ties on the start time', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids(await list('limit=200')));
    expect(new Set(seen).size).toBe(6);
    // A page that splits the two 09:00 appointments continues with the second of them.
    const firstPage = await list('limit=1');
    const secondPage = await list(`limit=1&cursor=${firstPage.nextCursor}`);
    expect([...ids(firstPage), ...ids(secondPage)]).toEqual([world.appointments[0].id, world.appointments[1].id].sort());
  });

  it('refuses a cursor it did not give out and other bad filters', async () => {
    await expectError(await clinic.request('GET', `${API}/appointments?cursor=garbage`), 400, 'cursor');
    await expectError(await clinic.request('GET', `${API}/appointments?status=lost`), 400, 'status.0');
    await expectError(await clinic.request('GET', `${API}/appointments?limit=500`), 400, 'limit');
    await expectError(await clinic.request('GET', `${API}/appointments?from=someday`), 400, 'from');
    await expectError(await clinic.request('GET', `${API}/appointments?patientId=42`), 400, 'patientId');
  });
});

describe('tenant isolation', () => {
  it('answers 404 to another tenant for every appointment, practitioner and location route', async () => {
    const appointment = world.appointments[0];
    const { practitionerId, locationId } = world.a;
    const timeOff = await clinic.call<{ timeOff: { id: string } }>('POST', `${API}/practitioners/${practitionerId}/time-off`, {
      startsAt: '2027-01-04T00:00',
      endsAt: '2027-01-05T00:00',
    });
    const eventsBefore = await countRows(harness, clinic, 'domain_event');
    const routes: [string, string, unknown?][] = [
      ['GET', `/appointments/${appointment.id}`],
      ['POST', `/appointments/${appointment.id}/cancel`, { reason: 'not mine' }],
      ['POST', `/appointments/${appointment.id}/confirm`],
      ['POST', `/appointments/${appointment.id}/check-in`],
      ['POST', `/appointments/${appointment.id}/complete`],
      ['POST', `/appointments/${appointment.id}/no-show`],
      ['POST', `/appointments/${appointment.id}/reschedule`, { startAt: '2026-12-01T10:00' }],
      ['GET', `/practitioners/${practitionerId}`],
      ['PATCH', `/practitioners/${practitionerId}`, { active: false }],
      ['PUT', `/practitioners/${practitionerId}/schedule`, { rules: [] }],
      ['POST', `/practitioners/${practitionerId}/time-off`, { startsAt: '2026-12-01T00:00', endsAt: '2026-12-02T00:00' }],
      ['GET', `/practitioners/${practitionerId}/time-off`],
      ['DELETE', `/practitioners/${practitionerId}/time-off/${timeOff.timeOff.id}`],
      ['PATCH', `/locations/${locationId}`, { active: false }],
    ];
    for (const [method, path, body] of routes) {
      const response = await intruder.request(method, `${API}${path}`, { body: body ?? (method === 'GET' || method === 'DELETE' ? undefined : {}) });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    // Booking with the other clinic's patient or practitioner finds neither.
    const ownPatient = await createPatient(harness, intruder);
    await expectError(await intruder.request('POST', `${API}/appointments`, { body: { patientId: ownPatient, practitionerId, startAt: '2026-12-01T10:00' } }), 404);
    const own = await createScheduledPractitioner(intruder);
    await expectError(
      await intruder.request('POST', `${API}/appointments`, { body: { patientId: world.patients[0], practitionerId: own.practitionerId, startAt: '2026-12-01T10:00' } }),
      404,
    );
    expect(await countRows(harness, clinic, 'domain_event')).toBe(eventsBefore);
    expect((await clinic.call<Appointment>('GET', `${API}/appointments/${appointment.id}`)).status).toBe('booked');
    expect(await countRows(harness, clinic, 'schedule_rule', 'practitioner_id = ?', [practitionerId])).toBe(5);
  });

  it('shows another tenant empty lists and no slots', async () => {
    expect((await list('', intruder)).items.filter((item) => world.appointments.some((own) => own.id === item.id))).toEqual([]);
    expect((await list(`patientId=${world.patients[0]}`, intruder)).items).toEqual([]);
    expect(await searchSlots(intruder, { from: '2026-12-01', to: '2026-12-04', practitionerId: world.a.practitionerId })).toEqual([]);
    const practitioners = await intruder.call<{ items: { id: string }[] }>('GET', `${API}/practitioners`);
    expect(practitioners.items.map((item) => item.id)).not.toContain(world.a.practitionerId);
    const locations = await intruder.call<{ items: { id: string }[] }>('GET', `${API}/locations`);
    expect(locations.items.map((item) => item.id)).not.toContain(world.north);
  });
});

describe('a patient conversation', () => {
  const conversationCaller = (patientId: string | null, verified = true): Caller => ({
    tenant: clinic.tenant,
    actor: { kind: 'agent', id: 'agent-test', role: 'agent' },
    channel: 'chat',
    conversationId: '01a21e4c-0000-7000-8000-0000000000aa',
    subject: { patientId, verified },
  });

  it('sees and changes only the verified patient’s own appointments', async () => {
    const [mine, theirs] = [world.appointments[0], world.appointments[1]];
    const caller = conversationCaller(mine.patientId);
    const own = await runOperation(harness.services, caller, { tool: 'get_appointment', input: { id: mine.id } });
    expect(own.ok).toBe(true);
    const other = await runOperation(harness.services, caller, { tool: 'get_appointment', input: { id: theirs.id } });
    expect(other.ok ? null : other.error.code).toBe('not_found');
    const cancel = await runOperation(harness.services, caller, { tool: 'cancel_appointment', input: { id: theirs.id, reason: 'prompt injection', patientId: theirs.patientId } });
    expect(cancel.ok ? null : cancel.error.code).toBe('not_found');
    expect((await clinic.call<Appointment>('GET', `${API}/appointments/${theirs.id}`)).status).toBe('booked');

    const listed = await runOperation(harness.services, caller, { tool: 'list_appointments', input: { patientId: theirs.patientId, limit: 50 } });
    expect(listed.ok && (listed.output as Page).items.every((item) => item.patientId === mine.patientId)).toBe(true);
    expect(listed.ok && (listed.output as Page).items.length).toBe(3);

    const unverified = await runOperation(harness.services, conversationCaller(mine.patientId, false), { tool: 'get_appointment', input: { id: mine.id } });
    expect(unverified.ok ? null : unverified.error.code).toBe('forbidden');
    const slots = await runOperation(harness.services, conversationCaller(null, false), {
      tool: 'search_slots',
      input: { from: '2026-12-07', to: '2026-12-07', limit: 10 },
    });
    expect(slots.ok).toBe(true);
  });
});

describe('bad input on every route', () => {
  it('answers 4xx naming the field and writes nothing', async () => {
    const { practitionerId } = world.a;
    const appointmentId = world.appointments[0].id;
    const tables = ['location', 'practitioner', 'schedule_rule', 'schedule_exception', 'appointment', 'domain_event'];
    const counts = async () => Promise.all(tables.map((table) => countRows(harness, clinic, table)));
    const before = await counts();
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/locations', {}, 400, 'name'],
      ['POST', '/locations', { name: 'X', phone: 7 }, 400, 'phone'],
      ['GET', '/locations?active=maybe', undefined, 400, 'active'],
      ['PATCH', '/locations/not-a-uuid', { name: 'X' }, 400, 'id'],
      ['PATCH', `/locations/${world.north}`, { active: 'no' }, 400, 'active'],
      ['POST', '/practitioners', { name: '' }, 400, 'name'],
      ['POST', '/practitioners', { name: 'Dr. X', email: 'not-an-email' }, 400, 'email'],
      ['GET', '/practitioners?active=yes', undefined, 400, 'active'],
      ['GET', '/practitioners/123', undefined, 400, 'id'],
      ['PATCH', `/practitioners/${practitionerId}`, {}, 400, '(input)'],
      ['PATCH', `/practitioners/${practitionerId}`, { name: 5 }, 400, 'name'],
      ['PUT', `/practitioners/${practitionerId}/schedule`, {}, 400, 'rules'],
      ['PUT', `/practitioners/${practitionerId}/schedule`, { rules: [{ weekday: 0 }] }, 400, 'rules.0.weekday'],
      ['POST', `/practitioners/${practitionerId}/time-off`, { startsAt: '2026-13-01T00:00', endsAt: '2026-12-02T00:00' }, 400, 'startsAt'],
      ['POST', `/practitioners/${practitionerId}/time-off`, { startsAt: '2026-12-01T00:00', endsAt: '2026-12-02T00:00', reason: '' }, 400, 'reason'],
      ['GET', `/practitioners/${practitionerId}/time-off?to=never`, undefined, 400, 'to'],
      ['DELETE', `/practitioners/${practitionerId}/time-off/nope`, undefined, 400, 'timeOffId'],
      ['GET', '/slots?from=2026-12-01&to=2026-12-02&locationId=x', undefined, 400, 'locationId'],
      ['POST', '/appointments', { patientId: world.patients[0], practitionerId, startAt: 1764594000000 }, 400, 'startAt'],
      ['POST', `/appointments/${appointmentId}/reschedule`, { startAt: 'soon' }, 400, 'startAt'],
      ['POST', `/appointments/${appointmentId}/reschedule`, { startAt: '2026-12-01T10:00', practitionerId: 'someone' }, 400, 'practitionerId'],
      ['POST', `/appointments/${appointmentId}/cancel`, { reason: 'x'.repeat(1001) }, 400, 'reason'],
      ['POST', `/appointments/${appointmentId}/confirm`, { note: 'hi' }, 400, 'note'],
      ['POST', `/appointments/${appointmentId}/check-in`, { patientId: 'me' }, 400, 'patientId'],
      ['POST', '/appointments/abc/complete', {}, 400, 'id'],
      ['POST', '/appointments/abc/no-show', {}, 400, 'id'],
      ['GET', '/appointments/abc', undefined, 400, 'id'],
      ['GET', '/appointments?practitionerId=abc', undefined, 400, 'practitionerId'],
    ];
    for (const [method, path, body, status, field] of cases) {
      const response = await clinic.request(method, `${API}${path}`, body === undefined ? {} : { body });
      const error = await expectError(response, status, field);
      expect(error.error.code, `${method} ${path}`).toBe('invalid_input');
    }
    expect(await counts()).toEqual(before);
    const rejected = await countRows(harness, clinic, 'tool_run', "status = 'rejected'");
    expect(rejected).toBeGreaterThanOrEqual(cases.length);
  });
});
