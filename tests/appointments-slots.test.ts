import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { createHarness, type Harness } from './support/harness.js';
import { API, createLocation, createPatient, createScheduledPractitioner, expectError, searchSlots, weekdayMornings } from './appointments-fixtures.js';

// 2026-10-01: before both DST changes used below (US: 2026-11-01 back, 2027-03-14 forward).
const START = new Date('2026-10-01T12:00:00Z');
const clock = fixedClock(START);
let harness: Harness;

beforeAll(async () => {
  harness = await createHarness({ clock });
});
afterEach(() => clock.set(START));
afterAll(() => harness.close());

const newYork = () => harness.newTenant({ timeZone: 'America/New_York' });
const localTimes = (slots: { startLocal: string }[]) => slots.map((slot) => slot.startLocal.slice(0, 16));

describe('search_slots', () => {
  it('cuts 09:00-12:00 into six 30-minute slots on weekdays only, in clinic local time', async () => {
    const clinic = await newYork();
    const { practitionerId, locationId } = await createScheduledPractitioner(clinic);
    // Monday 2026-11-30 to Sunday 2026-12-06.
    const slots = await searchSlots(clinic, { from: '2026-11-30', to: '2026-12-06', limit: '1000' });
    expect(slots).toHaveLength(30);
    const days = ['2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04'];
    const times = ['09:00', '09:30', '10:00', '10:30', '11:00', '11:30'];
    expect(localTimes(slots)).toEqual(days.flatMap((day) => times.map((time) => `${day}T${time}`)));
    expect(slots[0]).toEqual({
      practitionerId,
      practitionerName: 'Dr. Ana Ruiz',
      locationId,
      locationName: 'Main Street',
      startAt: '2026-11-30T14:00:00.000Z',
      endAt: '2026-11-30T14:30:00.000Z',
      startLocal: '2026-11-30T09:00:00-05:00',
      endLocal: '2026-11-30T09:30:00-05:00',
      timeZone: 'America/New_York',
      minutes: 30,
    });
    // An instant range is half-open: 10:00 up to (not including) 11:00 local.
    const window = await searchSlots(clinic, { from: '2026-12-02T10:00', to: '2026-12-02T16:00:00Z' });
    expect(localTimes(window)).toEqual(['2026-12-02T10:00', '2026-12-02T10:30']);
  });

  it('leaves out booked appointments, and offers the time again once cancelled', async () => {
    const clinic = await newYork();
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patientId = await createPatient(harness, clinic);
    const monday = { from: '2026-11-30', to: '2026-11-30' };
    const appointment = await clinic.call<{ id: string }>('POST', `${API}/appointments`, { patientId, practitionerId, startAt: '2026-11-30T10:00' });
    expect(localTimes(await searchSlots(clinic, monday)).map((time) => time.slice(11))).toEqual(['09:00', '09:30', '10:30', '11:00', '11:30']);
    await clinic.call('POST', `${API}/appointments/${appointment.id}/cancel`, { reason: 'Patient is travelling' });
    expect(await searchSlots(clinic, monday)).toHaveLength(6);
  });

  it('leaves out time off, including a multi-day absence', async () => {
    const clinic = await newYork();
    const { practitionerId } = await createScheduledPractitioner(clinic);
    await clinic.call('POST', `${API}/practitioners/${practitionerId}/time-off`, { startsAt: '2026-11-30T10:15', endsAt: '2026-11-30T11:00' });
    await clinic.call('POST', `${API}/practitioners/${practitionerId}/time-off`, { startsAt: '2026-12-01T00:00', endsAt: '2026-12-03T10:00' });
    const slots = await searchSlots(clinic, { from: '2026-11-30', to: '2026-12-03' });
    expect(localTimes(slots)).toEqual([
      '2026-11-30T09:00',
      '2026-11-30T09:30',
      '2026-11-30T11:00',
      '2026-11-30T11:30',
      '2026-12-03T10:00',
      '2026-12-03T10:30',
      '2026-12-03T11:00',
      '2026-12-03T11:30',
    ]);
  });

  it('leaves out the past', async () => {
    const clinic = await newYork();
    const { practitionerId } = await createScheduledPractitioner(clinic);
    clock.set(new Date('2026-11-30T15:15:00Z')); // Monday 10:15 in New York
    const slots = await searchSlots(clinic, { from: '2026-11-30', to: '2026-12-01' });
    expect(localTimes(slots)).toEqual([
      ...['10:30', '11:00', '11:30'].map((time) => `2026-11-30T${time}`),
      ...['09:00', '09:30', '10:00', '10:30', '11:00', '11:30'].map((time) => `2026-12-01T${time}`),
    ]);
    const patientId = await createPatient(harness, clinic);
    const refused = await expectError(await clinic.request('POST', `${API}/appointments`, { body: { patientId, practitionerId, startAt: '2026-11-30T10:00' } }), 422, 'startAt');
    expect(refused.error.message).toContain('past');
    clock.set(new Date('2026-12-02T00:00:00Z'));
    expect(await searchSlots(clinic, { from: '2026-11-30', to: '2026-12-01' })).toEqual([]);
  });

  it('keeps local 09:00 across the autumn and spring DST changes in New York', async () => {
    const clinic = await newYork();
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const autumn = await searchSlots(clinic, { from: '2026-10-26', to: '2026-11-06', practitionerId, limit: '1000' });
    const firstOfDay = (slots: { startAt: string; startLocal: string }[]) => slots.filter((slot) => slot.startLocal.slice(11, 16) === '09:00');
    expect(autumn).toHaveLength(60);
    expect(firstOfDay(autumn).map((slot) => [slot.startLocal, slot.startAt])).toEqual([
      ...['26', '27', '28', '29', '30'].map((day) => [`2026-10-${day}T09:00:00-04:00`, `2026-10-${day}T13:00:00.000Z`]),
      ...['02', '03', '04', '05', '06'].map((day) => [`2026-11-${day}T09:00:00-05:00`, `2026-11-${day}T14:00:00.000Z`]),
    ]);
    const spring = await searchSlots(clinic, { from: '2027-03-08', to: '2027-03-19', practitionerId, limit: '1000' });
    expect(spring).toHaveLength(60);
    expect(firstOfDay(spring).map((slot) => slot.startAt)).toEqual([
      ...['08', '09', '10', '11', '12'].map((day) => `2027-03-${day}T14:00:00.000Z`),
      ...['15', '16', '17', '18', '19'].map((day) => `2027-03-${day}T13:00:00.000Z`),
    ]);
    // Every slot is 30 real minutes and local times stay on the 09:00-11:30 grid.
    for (const slot of [...autumn, ...spring]) {
      expect(Date.parse(slot.endAt) - Date.parse(slot.startAt)).toBe(30 * 60_000);
      expect(['09:00', '09:30', '10:00', '10:30', '11:00', '11:30']).toContain(slot.startLocal.slice(11, 16));
      expect(DateTime.fromISO(slot.startLocal).toMillis()).toBe(Date.parse(slot.startAt));
    }
    // A booking on the Monday after the change lands at 09:00 local.
    const patientId = await createPatient(harness, clinic);
    const booked = await clinic.call<{ startAt: string; startLocal: string }>('POST', `${API}/appointments`, { patientId, practitionerId, startAt: '2026-11-02T09:00' });
    expect(booked).toMatchObject({ startAt: '2026-11-02T14:00:00.000Z', startLocal: '2026-11-02T09:00:00-05:00' });
  });

  it('handles a DST change at midnight (Santiago: 2027-09-05 starts at 01:00)', async () => {
    const clinic = await harness.newTenant({ timeZone: 'America/Santiago' });
    await createScheduledPractitioner(clinic, {
      rules: (locationId) => [
        { weekday: 6, startTime: '23:00', endTime: '24:00', slotMinutes: 30, locationId },
        ...[7, 1, 2].map((weekday) => ({ weekday, startTime: '09:00', endTime: '10:00', slotMinutes: 60, locationId })),
        // A later day's "24:00" is that day's ordinary midnight again.
        { weekday: 1, startTime: '23:00', endTime: '24:00', slotMinutes: 60, locationId },
      ],
    });
    const slots = await searchSlots(clinic, { from: '2027-09-04', to: '2027-09-07' });
    expect(slots.map((slot) => [slot.startLocal, slot.endLocal, slot.startAt])).toEqual([
      ['2027-09-04T23:00:00-04:00', '2027-09-04T23:30:00-04:00', '2027-09-05T03:00:00.000Z'],
      // The window ends at "24:00", which that night is 01:00 -03:00: the same instant.
      ['2027-09-04T23:30:00-04:00', '2027-09-05T01:00:00-03:00', '2027-09-05T03:30:00.000Z'],
      ['2027-09-05T09:00:00-03:00', '2027-09-05T10:00:00-03:00', '2027-09-05T12:00:00.000Z'],
      ['2027-09-06T09:00:00-03:00', '2027-09-06T10:00:00-03:00', '2027-09-06T12:00:00.000Z'],
      ['2027-09-06T23:00:00-03:00', '2027-09-07T00:00:00-03:00', '2027-09-07T02:00:00.000Z'],
      ['2027-09-07T09:00:00-03:00', '2027-09-07T10:00:00-03:00', '2027-09-07T12:00:00.000Z'],
    ]);
  });

  it('uses the clinic’s own zone, half-hour offsets included', async () => {
    const clinic = await harness.newTenant({ timeZone: 'Asia/Kolkata' });
    await createScheduledPractitioner(clinic, { rules: (locationId) => [{ weekday: 1, startTime: '09:00', endTime: '12:00', slotMinutes: 45, locationId }] });
    const slots = await searchSlots(clinic, { from: '2026-11-30', to: '2026-11-30' });
    // 45-minute slots on the window's own grid: 09:00, 09:45, 10:30, 11:15 (ends 12:00).
    expect(slots.map((slot) => [slot.startLocal, slot.startAt])).toEqual([
      ['2026-11-30T09:00:00+05:30', '2026-11-30T03:30:00.000Z'],
      ['2026-11-30T09:45:00+05:30', '2026-11-30T04:15:00.000Z'],
      ['2026-11-30T10:30:00+05:30', '2026-11-30T05:00:00.000Z'],
      ['2026-11-30T11:15:00+05:30', '2026-11-30T05:45:00.000Z'],
    ]);
    expect(slots.every((slot) => slot.timeZone === 'Asia/Kolkata')).toBe(true);
  });

  it('respects validity dates, and drops a tail shorter than a slot', async () => {
    const clinic = await newYork();
    await createScheduledPractitioner(clinic, {
      rules: (locationId) => [
        { weekday: 1, startTime: '09:00', endTime: '10:00', slotMinutes: 40, locationId, validUntil: '2026-12-07' },
        { weekday: 1, startTime: '14:00', endTime: '15:00', slotMinutes: 60, locationId, validFrom: '2026-12-14' },
      ],
    });
    const slots = await searchSlots(clinic, { from: '2026-11-30', to: '2026-12-21' });
    expect(localTimes(slots)).toEqual(['2026-11-30T09:00', '2026-12-07T09:00', '2026-12-14T14:00', '2026-12-21T14:00']);
  });

  it('sorts by start then practitioner, and filters by practitioner, location, specialty and limit', async () => {
    const clinic = await newYork();
    const north = await createLocation(clinic, 'North');
    const south = await createLocation(clinic, 'South');
    const a = await createScheduledPractitioner(clinic, { name: 'Dr. A', specialty: 'Cardiology', locationId: north });
    const b = await createScheduledPractitioner(clinic, { name: 'Dr. B', specialty: 'cardiology', locationId: south });
    const c = await createScheduledPractitioner(clinic, {
      name: 'Dr. C',
      specialty: 'dermatology',
      locationId: north,
      rules: (locationId) => [{ weekday: 1, startTime: '09:00', endTime: '10:00', slotMinutes: 60, locationId }],
    });
    const monday = { from: '2026-11-30', to: '2026-11-30' };
    const all = await searchSlots(clinic, monday);
    expect(all).toHaveLength(13);
    const ids = [a.practitionerId, b.practitionerId, c.practitionerId].sort();
    expect(all.slice(0, 3).map((slot) => slot.practitionerId)).toEqual(ids);
    for (let index = 1; index < all.length; index++) {
      const previous = all[index - 1];
      const current = all[index];
      expect(previous.startAt < current.startAt || (previous.startAt === current.startAt && previous.practitionerId < current.practitionerId)).toBe(true);
    }

    const two = await searchSlots(clinic, { ...monday, practitionerId: `${a.practitionerId},${c.practitionerId}` });
    expect(new Set(two.map((slot) => slot.practitionerId))).toEqual(new Set([a.practitionerId, c.practitionerId]));
    expect(two).toHaveLength(7);
    const atSouth = await searchSlots(clinic, { ...monday, locationId: south });
    expect(atSouth.every((slot) => slot.practitionerId === b.practitionerId && slot.locationId === south)).toBe(true);
    expect(atSouth).toHaveLength(6);
    const cardiology = await searchSlots(clinic, { ...monday, specialty: 'CARDIOLOGY' });
    expect(new Set(cardiology.map((slot) => slot.practitionerId))).toEqual(new Set([a.practitionerId, b.practitionerId]));

    const limited = await clinic.call<{ items: unknown[]; truncated: boolean }>('GET', `${API}/slots?from=2026-11-30&to=2026-11-30&limit=5`);
    expect(limited.items).toHaveLength(5);
    expect(limited.truncated).toBe(true);
    const whole = await clinic.call<{ truncated: boolean }>('GET', `${API}/slots?from=2026-11-30&to=2026-11-30&limit=13`);
    expect(whole.truncated).toBe(false);
  });

  it('offers nothing for inactive practitioners or locations', async () => {
    const clinic = await newYork();
    const first = await createScheduledPractitioner(clinic);
    const second = await createScheduledPractitioner(clinic);
    await clinic.call('PATCH', `${API}/practitioners/${first.practitionerId}`, { active: false });
    await clinic.call('PATCH', `${API}/locations/${second.locationId}`, { active: false });
    expect(await searchSlots(clinic, { from: '2026-11-30', to: '2026-12-04' })).toEqual([]);
    await clinic.call('PATCH', `${API}/locations/${second.locationId}`, { active: true });
    const slots = await searchSlots(clinic, { from: '2026-11-30', to: '2026-11-30' });
    expect(new Set(slots.map((slot) => slot.practitionerId))).toEqual(new Set([second.practitionerId]));
  });

  it('refuses bad ranges and filters, naming the field', async () => {
    const clinic = await newYork();
    await createScheduledPractitioner(clinic, { rules: weekdayMornings });
    const cases: [string, string][] = [
      ['', 'from'],
      ['from=2026-11-30', 'to'],
      ['from=2026-12-05&to=2026-12-01', 'to'],
      ['from=2026-11-30T10:00&to=2026-11-30T10:00', 'to'],
      ['from=2026-11-01&to=2027-01-03', 'to'],
      ['from=tomorrow&to=2026-12-01', 'from'],
      ['from=2026-11-30&to=2026-12-01&practitionerId=nope', 'practitionerId.0'],
      ['from=2026-11-30&to=2026-12-01&limit=0', 'limit'],
      ['from=2026-11-30&to=2026-12-01&color=blue', 'color'],
    ];
    for (const [query, field] of cases) await expectError(await clinic.request('GET', `${API}/slots?${query}`), 400, field);
    // 62 days is the most a search may span.
    const widest = await clinic.request('GET', `${API}/slots?from=2026-11-01&to=2027-01-01`);
    expect(widest.status).toBe(200);
  });
});
