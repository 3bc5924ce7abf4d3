import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { appointmentOperations } from '../src/modules/appointments/operations.js';
import { toolDefinition } from '../src/tools/mcp.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import {
  API,
  countRows,
  createLocation,
  createPatient,
  createScheduledPractitioner,
  expectError,
  searchSlots,
  weekdayMornings,
  type ScheduleRuleBody,
} from './appointments-fixtures.js';

// Wednesday 2026-11-25, 07:00 in New York.
const clock = fixedClock(new Date('2026-11-25T12:00:00Z'));
let harness: Harness;
let clinic: TestTenant;

beforeAll(async () => {
  harness = await createHarness({ clock });
  clinic = await harness.newTenant({ timeZone: 'America/New_York' });
});
afterAll(() => harness.close());

type Practitioner = { id: string; name: string; specialty: string | null; email: string | null; active: boolean };
type WithSchedule = Practitioner & { weeklySchedule: (ScheduleRuleBody & { id: string; validFrom: string | null; validUntil: string | null })[]; timeZone: string };

describe('locations', () => {
  it('creates, lists, updates and deactivates a location', async () => {
    const created = await clinic.request('POST', `${API}/locations`, { body: { name: 'Harbor clinic', address: '1 Harbor Rd', phone: '+1 555 0100' } });
    expect(created.status).toBe(201);
    const location = await created.json();
    expect(location).toMatchObject({ name: 'Harbor clinic', address: '1 Harbor Rd', phone: '+1 555 0100', active: true, createdAt: '2026-11-25T12:00:00.000Z' });

    const updated = await clinic.call('PATCH', `${API}/locations/${location.id}`, { active: false, phone: null });
    expect(updated).toMatchObject({ id: location.id, active: false, phone: null, address: '1 Harbor Rd' });

    const inactive = await clinic.call<{ items: { id: string }[] }>('GET', `${API}/locations?active=false`);
    expect(inactive.items.map((item) => item.id)).toContain(location.id);
    const active = await clinic.call<{ items: { id: string }[] }>('GET', `${API}/locations?active=true`);
    expect(active.items.map((item) => item.id)).not.toContain(location.id);
    expect(await countRows(harness, clinic, 'domain_event', "entity_id = ? and type in ('location.created', 'location.updated')", [location.id])).toBe(2);
  });

  it('refuses an update without changes and an unknown location', async () => {
    const id = await createLocation(clinic, 'Unchanged');
    await expectError(await clinic.request('PATCH', `${API}/locations/${id}`, { body: {} }), 400, '(input)');
    const missing = await expectError(await clinic.request('PATCH', `${API}/locations/01a21e4c-0000-7000-8000-000000000000`, { body: { name: 'X' } }), 404);
    expect(missing.error.message).toContain('Location');
  });
});

describe('practitioners', () => {
  it('creates, filters, gets and deactivates practitioners', async () => {
    const response = await clinic.request('POST', `${API}/practitioners`, { body: { name: 'Dr. Lee', specialty: 'Dermatology', email: 'Lee@Clinic.test' } });
    expect(response.status).toBe(201);
    const lee: Practitioner = await response.json();
    expect(lee).toMatchObject({ name: 'Dr. Lee', specialty: 'Dermatology', email: 'lee@clinic.test', active: true });
    const other = await clinic.call<Practitioner>('POST', `${API}/practitioners`, { name: 'Dr. Moss', specialty: 'cardiology' });

    const dermatology = await clinic.call<{ items: Practitioner[] }>('GET', `${API}/practitioners?specialty=dermatology`);
    expect(dermatology.items.map((item) => item.id)).toEqual([lee.id]);
    // `_` is not a wildcard: the filter is exact.
    expect((await clinic.call<{ items: Practitioner[] }>('GET', `${API}/practitioners?specialty=dermatolog_`)).items).toEqual([]);

    const deactivated = await clinic.call<Practitioner>('PATCH', `${API}/practitioners/${lee.id}`, { active: false });
    expect(deactivated.active).toBe(false);
    const active = await clinic.call<{ items: Practitioner[] }>('GET', `${API}/practitioners?active=true`);
    expect(active.items.map((item) => item.id)).toContain(other.id);
    expect(active.items.map((item) => item.id)).not.toContain(lee.id);

    const got = await clinic.call<WithSchedule>('GET', `${API}/practitioners/${lee.id}`);
    expect(got).toMatchObject({ id: lee.id, active: false, weeklySchedule: [], timeZone: 'America/New_York' });
    const events = await harness.services.orm.em.fork().execute<{ type: string }[]>('select type from domain_event where entity_id = ? order by occurred_at, id', [lee.id]);
    expect(events.map((event) => event.type)).toEqual(['practitioner.created', 'practitioner.deactivated']);
  });

  it('answers 404 for an unknown practitioner', async () => {
    await expectError(await clinic.request('GET', `${API}/practitioners/01a21e4c-0000-7000-8000-000000000000`), 404);
  });

  it('keeps setup to staff: the agent key may search slots but not create practitioners', async () => {
    const refused = await expectError(await clinic.request('POST', `${API}/practitioners`, { key: clinic.keys.agent, body: { name: 'Dr. Agent' } }), 403);
    expect(refused.error.message).toContain('create_practitioner');
    const search = await clinic.request('GET', `${API}/slots?from=2026-11-30&to=2026-11-30`, { key: clinic.keys.agent });
    expect(search.status).toBe(200);
  });
});

describe('weekly schedules', () => {
  it('replaces the weekly rules and reads them back sorted', async () => {
    const { practitionerId, locationId } = await createScheduledPractitioner(clinic);
    const first = await clinic.call<WithSchedule>('GET', `${API}/practitioners/${practitionerId}`);
    expect(first.weeklySchedule.map((rule) => [rule.weekday, rule.startTime, rule.endTime, rule.slotMinutes])).toEqual(
      [1, 2, 3, 4, 5].map((weekday) => [weekday, '09:00', '12:00', 30]),
    );

    const replaced = await clinic.call<WithSchedule>('PUT', `${API}/practitioners/${practitionerId}/schedule`, {
      rules: [
        { weekday: 3, startTime: '14:00', endTime: '18:00', slotMinutes: 60, locationId },
        { weekday: 3, startTime: '08:00', endTime: '12:00', slotMinutes: 20, locationId, validUntil: '2026-12-31' },
        // Same hours on the same weekday are fine when the validity periods do not meet.
        { weekday: 3, startTime: '08:00', endTime: '12:00', slotMinutes: 15, locationId, validFrom: '2027-01-01' },
      ],
    });
    expect(replaced.weeklySchedule.map((rule) => [rule.weekday, rule.startTime, rule.slotMinutes, rule.validFrom, rule.validUntil])).toEqual([
      [3, '08:00', 20, null, '2026-12-31'],
      [3, '08:00', 15, '2027-01-01', null],
      [3, '14:00', 60, null, null],
    ]);
    expect(await countRows(harness, clinic, 'schedule_rule', 'practitioner_id = ?', [practitionerId])).toBe(3);
    const slots = await searchSlots(clinic, { from: '2026-11-30', to: '2026-12-06', practitionerId });
    expect(slots.map((slot) => slot.startLocal.slice(0, 16))).toEqual([
      ...Array.from({ length: 12 }, (_, index) => `2026-12-02T${String(8 + Math.floor(index / 3)).padStart(2, '0')}:${String((index % 3) * 20).padStart(2, '0')}`),
      '2026-12-02T14:00',
      '2026-12-02T15:00',
      '2026-12-02T16:00',
      '2026-12-02T17:00',
    ]);

    const cleared = await clinic.call<WithSchedule>('PUT', `${API}/practitioners/${practitionerId}/schedule`, { rules: [] });
    expect(cleared.weeklySchedule).toEqual([]);
    expect(await searchSlots(clinic, { from: '2026-11-30', to: '2026-12-06', practitionerId })).toEqual([]);
  });

  it('refuses bad windows, naming the rule and field, and keeps the old schedule', async () => {
    const { practitionerId, locationId } = await createScheduledPractitioner(clinic);
    const path = `${API}/practitioners/${practitionerId}/schedule`;
    const rule = { weekday: 1, startTime: '09:00', endTime: '12:00', slotMinutes: 30, locationId };
    const cases: [unknown, number, string][] = [
      [[{ ...rule, endTime: '09:00' }], 400, 'rules.0.endTime'],
      [[{ ...rule, startTime: '9:00' }], 400, 'rules.0.startTime'],
      [[{ ...rule, endTime: '24:30' }], 400, 'rules.0.endTime'],
      [[{ ...rule, weekday: 8 }], 400, 'rules.0.weekday'],
      [[{ ...rule, slotMinutes: 240 }], 400, 'rules.0.slotMinutes'],
      [[{ ...rule, validFrom: '2027-02-01', validUntil: '2027-01-01' }], 400, 'rules.0.validUntil'],
      [[rule, { ...rule, startTime: '11:30', endTime: '13:00' }], 400, 'rules.1.startTime'],
      [[{ ...rule, locationId: '01a21e4c-0000-7000-8000-000000000000' }], 422, 'rules.0.locationId'],
      [[{ ...rule, extra: true }], 400, 'rules.0.extra'],
    ];
    for (const [rules, status, field] of cases) {
      await expectError(await clinic.request('PUT', path, { body: { rules } }), status, field);
    }
    const inactive = await createLocation(clinic, 'Closed wing');
    await clinic.call('PATCH', `${API}/locations/${inactive}`, { active: false });
    const refused = await expectError(await clinic.request('PUT', path, { body: { rules: [rule, { ...rule, weekday: 2, locationId: inactive }] } }), 422, 'rules.1.locationId');
    expect(refused.error.message).toContain('inactive');

    const after = await clinic.call<WithSchedule>('GET', `${API}/practitioners/${practitionerId}`);
    expect(after.weeklySchedule).toHaveLength(5);
    expect(after.weeklySchedule.every((item) => item.startTime === '09:00' && item.slotMinutes === 30)).toBe(true);
  });

  it('answers 404 when the practitioner is unknown', async () => {
    const locationId = await createLocation(clinic);
    await expectError(
      await clinic.request('PUT', `${API}/practitioners/01a21e4c-0000-7000-8000-000000000000/schedule`, { body: { rules: weekdayMornings(locationId) } }),
      404,
    );
  });
});

describe('time off', () => {
  it('blocks slots, reports booked appointments inside it, and frees slots when removed', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patientId = await createPatient(harness, clinic);
    const appointment = await clinic.call<{ id: string }>('POST', `${API}/appointments`, { patientId, practitionerId, startAt: '2026-12-01T10:00' });

    const response = await clinic.request('POST', `${API}/practitioners/${practitionerId}/time-off`, {
      body: { startsAt: '2026-12-01T09:30', endsAt: '2026-12-01T11:00:00-05:00', reason: 'Training' },
    });
    expect(response.status).toBe(201);
    const added = await response.json();
    expect(added.timeOff).toMatchObject({
      practitionerId,
      startsAt: '2026-12-01T14:30:00.000Z',
      endsAt: '2026-12-01T16:00:00.000Z',
      startsLocal: '2026-12-01T09:30:00-05:00',
      endsLocal: '2026-12-01T11:00:00-05:00',
      reason: 'Training',
    });
    expect(added.affectedAppointments.map((item: { id: string }) => item.id)).toEqual([appointment.id]);
    // The appointment is kept; staff decide.
    expect((await clinic.call<{ status: string }>('GET', `${API}/appointments/${appointment.id}`)).status).toBe('booked');

    const tuesday = { from: '2026-12-01', to: '2026-12-01', practitionerId };
    expect((await searchSlots(clinic, tuesday)).map((slot) => slot.startLocal.slice(11, 16))).toEqual(['09:00', '11:00', '11:30']);
    const blocked = await expectError(
      await clinic.request('POST', `${API}/appointments`, { body: { patientId: await createPatient(harness, clinic), practitionerId, startAt: '2026-12-01T10:30' } }),
      422,
      'startAt',
    );
    expect(blocked.error.details?.freeSlots).toEqual(['2026-12-01T09:00:00-05:00', '2026-12-01T11:00:00-05:00', '2026-12-01T11:30:00-05:00']);

    const listed = await clinic.call<{ items: { id: string }[] }>('GET', `${API}/practitioners/${practitionerId}/time-off`);
    expect(listed.items.map((item) => item.id)).toEqual([added.timeOff.id]);
    const laterOnly = await clinic.call<{ items: unknown[] }>('GET', `${API}/practitioners/${practitionerId}/time-off?from=2026-12-02`);
    expect(laterOnly.items).toEqual([]);

    const removed = await clinic.call<{ id: string }>('DELETE', `${API}/practitioners/${practitionerId}/time-off/${added.timeOff.id}`);
    expect(removed.id).toBe(added.timeOff.id);
    expect((await searchSlots(clinic, tuesday)).map((slot) => slot.startLocal.slice(11, 16))).toEqual(['09:00', '09:30', '10:30', '11:00', '11:30']);
    await expectError(await clinic.request('DELETE', `${API}/practitioners/${practitionerId}/time-off/${added.timeOff.id}`), 404);
    const events = await harness.services.orm.em
      .fork()
      .execute<{ type: string }[]>("select type from domain_event where entity_id = ? and type like 'practitioner.time_off%' order by occurred_at, id", [practitionerId]);
    expect(events.map((event) => event.type)).toEqual(['practitioner.time_off_added', 'practitioner.time_off_removed']);
  });

  it('refuses an empty or reversed period and another practitioner’s entry', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const other = await createScheduledPractitioner(clinic);
    const before = await countRows(harness, clinic, 'schedule_exception');
    await expectError(
      await clinic.request('POST', `${API}/practitioners/${practitionerId}/time-off`, { body: { startsAt: '2026-12-01T12:00', endsAt: '2026-12-01T09:00' } }),
      400,
      'endsAt',
    );
    await expectError(await clinic.request('POST', `${API}/practitioners/${practitionerId}/time-off`, { body: { startsAt: 'next week' } }), 400, 'endsAt');
    expect(await countRows(harness, clinic, 'schedule_exception')).toBe(before);

    const added = await clinic.call<{ timeOff: { id: string } }>('POST', `${API}/practitioners/${other.practitionerId}/time-off`, {
      startsAt: '2026-12-03T00:00',
      endsAt: '2026-12-04T00:00',
    });
    await expectError(await clinic.request('DELETE', `${API}/practitioners/${practitionerId}/time-off/${added.timeOff.id}`), 404);
    expect(await countRows(harness, clinic, 'schedule_exception', 'id = ?', [added.timeOff.id])).toBe(1);
  });
});

describe('the operations as documents', () => {
  it('are in the OpenAPI document and are MCP tools whose every input field is described', async () => {
    const response = await harness.app.request('/openapi.json');
    const document = await response.json();
    for (const operation of appointmentOperations) {
      const path = `${API}${operation.http.path}`;
      expect(document.paths[path]?.[operation.http.method]?.operationId, path).toBe(operation.name);
      expect(operation.tag).toBe('appointments');
      const tool = toolDefinition(operation);
      const properties = Object.entries((tool.inputSchema.properties ?? {}) as Record<string, { description?: string }>);
      expect(properties.length, operation.name).toBeGreaterThan(0);
      for (const [name, schema] of properties) expect(schema.description, `${operation.name}.${name}`).toEqual(expect.any(String));
    }
    expect(appointmentOperations.map((operation) => operation.name).sort()).toEqual(
      [
        'create_location', 'list_locations', 'update_location', 'create_practitioner', 'list_practitioners', 'get_practitioner',
        'update_practitioner', 'set_weekly_schedule', 'add_time_off', 'list_time_off', 'remove_time_off', 'search_slots',
        'book_appointment', 'reschedule_appointment', 'cancel_appointment', 'confirm_appointment', 'check_in_appointment',
        'complete_appointment', 'mark_no_show', 'get_appointment', 'list_appointments',
      ].sort(),
    );
  });
});
