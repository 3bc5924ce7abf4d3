import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { API, countRows, createLocation, createPatient, createScheduledPractitioner, expectError, searchSlots } from './appointments-fixtures.js';

// Wednesday 2026-11-25, 07:00 in New York.
const START = new Date('2026-11-25T12:00:00Z');
const clock = fixedClock(START);
let harness: Harness;
let clinic: TestTenant;

beforeAll(async () => {
  harness = await createHarness({ clock });
  clinic = await harness.newTenant({ timeZone: 'America/New_York' });
});
afterEach(() => clock.set(START));
afterAll(() => harness.close());

type Appointment = {
  id: string;
  patientId: string;
  practitionerId: string;
  locationId: string;
  startAt: string;
  endAt: string;
  startLocal: string;
  status: string;
  allowedNextStatuses: string[];
  confirmedAt: string | null;
  checkedInAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
  cancelReason: string | null;
  updatedAt: string;
};

const book = (body: Record<string, unknown>) => clinic.request('POST', `${API}/appointments`, { body });
const events = (entityId: string) =>
  harness.services.orm.em
    .fork()
    .execute<{ type: string; payload: Record<string, unknown> }[]>('select type, payload from domain_event where entity_id = ? order by occurred_at, id', [entityId]);

describe('book_appointment', () => {
  it('books a free slot and records the event', async () => {
    const { practitionerId, locationId } = await createScheduledPractitioner(clinic);
    const patientId = await createPatient(harness, clinic);
    const response = await book({ patientId, practitionerId, startAt: '2026-12-01T14:30:00Z', reason: 'Rash on the arm', notes: 'Prefers Spanish' });
    expect(response.status).toBe(201);
    const appointment = await response.json();
    expect(appointment).toMatchObject({
      patientId,
      practitionerId,
      locationId,
      startAt: '2026-12-01T14:30:00.000Z',
      endAt: '2026-12-01T15:00:00.000Z',
      startLocal: '2026-12-01T09:30:00-05:00',
      endLocal: '2026-12-01T10:00:00-05:00',
      timeZone: 'America/New_York',
      status: 'booked',
      allowedNextStatuses: ['confirmed', 'checked_in', 'cancelled', 'no_show'],
      reason: 'Rash on the arm',
      notes: 'Prefers Spanish',
    });
    expect(await events(appointment.id)).toEqual([
      { type: 'appointment.booked', payload: { patientId, practitionerId, startAt: '2026-12-01T14:30:00.000Z' } },
    ]);
    expect(await clinic.call('GET', `${API}/appointments/${appointment.id}`)).toEqual(appointment);
  });

  it('refuses a start that is not a slot of the schedule (422 naming startAt) and writes nothing', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patientId = await createPatient(harness, clinic);
    const before = await countRows(harness, clinic, 'appointment');
    for (const startAt of ['2026-12-01T09:10', '2026-12-01T12:00', '2026-12-01T08:30', '2026-12-05T09:00', '2026-12-01T09:00:00Z']) {
      const refused = await expectError(await book({ patientId, practitionerId, startAt }), 422, 'startAt');
      expect(refused.error.code).toBe('unprocessable');
      expect(refused.error.message).toContain('startAt');
    }
    const offGrid = await expectError(await book({ patientId, practitionerId, startAt: '2026-12-01T09:10' }), 422, 'startAt');
    expect(offGrid.error.details?.freeSlots).toHaveLength(6);
    expect(await countRows(harness, clinic, 'appointment')).toBe(before);
  });

  it('refuses unknown, inactive and mismatched references', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patientId = await createPatient(harness, clinic);
    const otherLocation = await createLocation(clinic, 'Elsewhere');
    const unknown = '01a21e4c-0000-7000-8000-000000000000';
    const before = await countRows(harness, clinic, 'appointment');
    expect((await expectError(await book({ patientId: unknown, practitionerId, startAt: '2026-12-01T09:00' }), 404)).error.message).toContain('Patient');
    expect((await expectError(await book({ patientId, practitionerId: unknown, startAt: '2026-12-01T09:00' }), 404)).error.message).toContain('Practitioner');
    await expectError(await book({ patientId, practitionerId, locationId: otherLocation, startAt: '2026-12-01T09:00' }), 422, 'locationId');
    await clinic.call('PATCH', `${API}/practitioners/${practitionerId}`, { active: false });
    await expectError(await book({ patientId, practitionerId, startAt: '2026-12-01T09:00' }), 422, 'practitionerId');
    expect(await countRows(harness, clinic, 'appointment')).toBe(before);
  });

  it('names each wrong field of a malformed booking', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['patientId', 'practitionerId', 'startAt']],
      [{ patientId: 'p-1', practitionerId: 'x', startAt: 'Monday morning' }, ['patientId', 'practitionerId', 'startAt']],
      [{ patientId: '01a21e4c-0000-7000-8000-000000000000', practitionerId: '01a21e4c-0000-7000-8000-000000000000', startAt: '2026-12-01T09:00', colour: 'red' }, ['colour']],
      [{ patientId: '01a21e4c-0000-7000-8000-000000000000', practitionerId: '01a21e4c-0000-7000-8000-000000000000', startAt: '2026-12-01T09:00', reason: '' }, ['reason']],
    ];
    const before = await countRows(harness, clinic, 'appointment');
    for (const [body, fields] of cases) {
      const error = await expectError(await book(body), 400);
      expect(error.error.issues?.map((issue) => issue.path).sort()).toEqual(fields);
    }
    await expectError(await clinic.request('POST', `${API}/appointments`, { body: '{"patientId":' }), 400, 'body');
    expect(await countRows(harness, clinic, 'appointment')).toBe(before);
  });

  it('lets exactly one of ten concurrent bookings of the same time succeed', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patients = await Promise.all(Array.from({ length: 10 }, (_, index) => createPatient(harness, clinic, `Racer${index}`)));
    const responses = await Promise.all(patients.map((patientId) => book({ patientId, practitionerId, startAt: '2026-12-02T10:00' })));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    for (const response of responses.filter((item) => item.status === 409)) {
      const body = await response.json();
      expect(body.error).toMatchObject({
        code: 'conflict',
        message: 'That time is no longer free for this practitioner. Search the free slots again.',
        details: { constraint: 'appointment_no_overlap' },
      });
    }
    const winner = await responses.find((response) => response.status === 201)!.json();
    expect(await countRows(harness, clinic, 'appointment', "practitioner_id = ? and status not in ('cancelled', 'no_show')", [practitionerId])).toBe(1);
    expect(await countRows(harness, clinic, 'appointment', 'practitioner_id = ?', [practitionerId])).toBe(1);
    expect(await countRows(harness, clinic, 'domain_event', "type = 'appointment.booked' and entity_id = ?", [winner.id])).toBe(1);
    const runs = await harness.services.orm.em
      .fork()
      .execute<{ status: string; error_code: string | null }[]>(
        "select status, error_code from tool_run where tenant_id = ? and tool = 'book_appointment' and input->>'startAt' = '2026-12-02T10:00'",
        [clinic.tenant.id],
      );
    expect(runs.filter((run) => run.status === 'succeeded')).toHaveLength(1);
    expect(runs.filter((run) => run.status === 'failed' && run.error_code === 'conflict')).toHaveLength(9);
  });

  it('lets concurrent changes of one appointment run one after the other', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patientId = await createPatient(harness, clinic);
    const appointment = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId, practitionerId, startAt: '2026-12-04T11:00' });
    const [cancel, checkIn] = await Promise.all([
      clinic.request('POST', `${API}/appointments/${appointment.id}/cancel`, { body: { reason: 'Called to cancel' } }),
      clinic.request('POST', `${API}/appointments/${appointment.id}/check-in`, { body: {} }),
    ]);
    // Whichever ran first decided; the other saw its result (booked → cancelled is final; checked_in cannot be cancelled).
    expect([cancel.status, checkIn.status].sort()).toEqual([200, 422]);
    const final = await clinic.call<Appointment>('GET', `${API}/appointments/${appointment.id}`);
    expect(final.status).toBe(cancel.status === 200 ? 'cancelled' : 'checked_in');
    expect(await countRows(harness, clinic, 'domain_event', "entity_id = ? and type in ('appointment.cancelled', 'appointment.checked_in')", [appointment.id])).toBe(1);
  });

  it('lets only one of two appointments be rescheduled into the same free slot at once', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const first = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId: await createPatient(harness, clinic), practitionerId, startAt: '2026-12-07T09:00' });
    const second = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId: await createPatient(harness, clinic), practitionerId, startAt: '2026-12-07T09:30' });
    const responses = await Promise.all(
      [first, second].map((appointment) => clinic.request('POST', `${API}/appointments/${appointment.id}/reschedule`, { body: { startAt: '2026-12-07T11:00' } })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409]);
    expect(await countRows(harness, clinic, 'appointment', "practitioner_id = ? and start_at = '2026-12-07T16:00:00Z'", [practitionerId])).toBe(1);
  });

  it('refuses to book a patient twice at the same time, with another practitioner', async () => {
    const first = await createScheduledPractitioner(clinic);
    const second = await createScheduledPractitioner(clinic, { name: 'Dr. Second' });
    const patientId = await createPatient(harness, clinic);
    await clinic.call('POST', `${API}/appointments`, { patientId, practitionerId: first.practitionerId, startAt: '2026-12-03T11:00' });
    const refused = await expectError(await book({ patientId, practitionerId: second.practitionerId, startAt: '2026-12-03T11:00' }), 409);
    expect(refused.error.message).toBe('The patient already has an appointment at that time.');
  });
});

describe('reschedule_appointment', () => {
  it('moves a confirmed appointment to a free slot and sets it back to booked', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patientId = await createPatient(harness, clinic);
    const appointment = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId, practitionerId, startAt: '2026-12-01T09:00' });
    const confirmed = await clinic.call<Appointment>('POST', `${API}/appointments/${appointment.id}/confirm`);
    expect(confirmed.confirmedAt).toBe(START.toISOString());

    const moved = await clinic.call<Appointment>('POST', `${API}/appointments/${appointment.id}/reschedule`, { startAt: '2026-12-02T11:30' });
    expect(moved).toMatchObject({ id: appointment.id, status: 'booked', confirmedAt: null, startLocal: '2026-12-02T11:30:00-05:00', endAt: '2026-12-02T17:00:00.000Z' });
    const tuesday = await searchSlots(clinic, { from: '2026-12-01', to: '2026-12-01', practitionerId });
    expect(tuesday.map((slot) => slot.startLocal.slice(11, 16))).toContain('09:00');
    const wednesday = await searchSlots(clinic, { from: '2026-12-02', to: '2026-12-02', practitionerId });
    expect(wednesday.map((slot) => slot.startLocal.slice(11, 16))).not.toContain('11:30');
    const types = (await events(appointment.id)).map((event) => event.type);
    expect(types).toEqual(['appointment.booked', 'appointment.confirmed', 'appointment.rescheduled']);
    expect((await events(appointment.id))[2].payload).toMatchObject({
      before: { startAt: '2026-12-01T14:00:00.000Z', status: 'confirmed' },
      after: { startAt: '2026-12-02T16:30:00.000Z' },
    });
  });

  it('moves to another practitioner and location', async () => {
    const first = await createScheduledPractitioner(clinic);
    const second = await createScheduledPractitioner(clinic, { name: 'Dr. Other' });
    const patientId = await createPatient(harness, clinic);
    const appointment = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId, practitionerId: first.practitionerId, startAt: '2026-12-01T10:00' });
    const moved = await clinic.call<Appointment>('POST', `${API}/appointments/${appointment.id}/reschedule`, {
      startAt: '2026-12-01T10:00',
      practitionerId: second.practitionerId,
    });
    expect(moved).toMatchObject({ practitionerId: second.practitionerId, locationId: second.locationId, startLocal: '2026-12-01T10:00:00-05:00' });
  });

  it('refuses a taken, off-schedule or unchanged time, and a final appointment', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patientId = await createPatient(harness, clinic);
    const otherPatient = await createPatient(harness, clinic);
    const appointment = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId, practitionerId, startAt: '2026-12-04T09:00' });
    await clinic.call('POST', `${API}/appointments`, { patientId: otherPatient, practitionerId, startAt: '2026-12-04T09:30' });
    const path = `${API}/appointments/${appointment.id}/reschedule`;

    const taken = await expectError(await clinic.request('POST', path, { body: { startAt: '2026-12-04T09:30' } }), 409);
    expect(taken.error.message).toBe('That time is no longer free for this practitioner. Search the free slots again.');
    const offSchedule = await expectError(await clinic.request('POST', path, { body: { startAt: '2026-12-04T13:00' } }), 422, 'startAt');
    // The hint does not count the appointment's own time as busy.
    expect(offSchedule.error.details?.freeSlots).toContain('2026-12-04T09:00:00-05:00');
    expect(offSchedule.error.details?.freeSlots).not.toContain('2026-12-04T09:30:00-05:00');
    await expectError(await clinic.request('POST', path, { body: { startAt: '2026-12-04T09:00' } }), 422, 'startAt');
    await expectError(await clinic.request('POST', path, { body: {} }), 400, 'startAt');
    const unchanged = await clinic.call<Appointment>('GET', `${API}/appointments/${appointment.id}`);
    expect(unchanged.startLocal).toBe('2026-12-04T09:00:00-05:00');

    await clinic.call('POST', `${API}/appointments/${appointment.id}/cancel`, { reason: 'No longer needed' });
    const final = await expectError(await clinic.request('POST', path, { body: { startAt: '2026-12-04T10:00' } }), 422);
    expect(final.error.details).toEqual({ status: 'cancelled', allowed: [] });
  });
});

describe('status transitions', () => {
  const statuses = ['booked', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show'] as const;
  type Status = (typeof statuses)[number];
  const actions: Record<Exclude<Status, 'booked'>, { path: string; body?: Record<string, unknown>; stamp?: keyof Appointment }> = {
    confirmed: { path: 'confirm', stamp: 'confirmedAt' },
    checked_in: { path: 'check-in', stamp: 'checkedInAt' },
    completed: { path: 'complete', stamp: 'completedAt' },
    cancelled: { path: 'cancel', body: { reason: 'Feeling better' }, stamp: 'cancelledAt' },
    no_show: { path: 'no-show' },
  };
  const routeTo: Record<Status, Exclude<Status, 'booked'>[]> = {
    booked: [],
    confirmed: ['confirmed'],
    checked_in: ['checked_in'],
    completed: ['checked_in', 'completed'],
    cancelled: ['cancelled'],
    no_show: ['no_show'],
  };
  const allowed: Record<Status, Status[]> = {
    booked: ['confirmed', 'checked_in', 'cancelled', 'no_show'],
    confirmed: ['checked_in', 'cancelled', 'no_show'],
    checked_in: ['completed', 'no_show'],
    completed: [],
    cancelled: [],
    no_show: [],
  };

  it('allows exactly the transitions of the table, stamps times and refuses the rest with 422', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic, {
      rules: (locationId) => [1, 2, 3, 4, 5].map((weekday) => ({ weekday, startTime: '08:00', endTime: '18:00', slotMinutes: 10, locationId })),
    });
    const patientId = await createPatient(harness, clinic);
    const cases = statuses.flatMap((from) => (Object.keys(actions) as Exclude<Status, 'booked'>[]).map((to) => ({ from, to })));
    const booked = [];
    for (const [index, testCase] of cases.entries()) {
      const startAt = `2026-12-01T${String(8 + Math.floor(index / 6)).padStart(2, '0')}:${String((index % 6) * 10).padStart(2, '0')}`;
      booked.push({ ...testCase, appointment: await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId, practitionerId, startAt }) });
    }
    // After the day: no-shows may be recorded once the start has passed.
    clock.set(new Date('2026-12-02T12:00:00Z'));
    for (const { from, to, appointment } of booked) {
      for (const step of routeTo[from]) await clinic.call('POST', `${API}/appointments/${appointment.id}/${actions[step].path}`, actions[step].body ?? {});
      const current = await clinic.call<Appointment>('GET', `${API}/appointments/${appointment.id}`);
      expect(current.status).toBe(from);
      expect(current.allowedNextStatuses).toEqual(allowed[from]);

      clock.advance(60_000);
      const response = await clinic.request('POST', `${API}/appointments/${appointment.id}/${actions[to].path}`, { body: actions[to].body ?? {} });
      const body = await response.json();
      if (allowed[from].includes(to)) {
        expect(response.status, `${from} → ${to}`).toBe(200);
        expect(body.status).toBe(to);
        const stamp = actions[to].stamp;
        if (stamp) expect(body[stamp], `${from} → ${to} stamps ${stamp}`).toBe(clock.now().toISOString());
        if (to === 'cancelled') expect(body.cancelReason).toBe('Feeling better');
        expect((await events(appointment.id)).at(-1)?.type).toBe(`appointment.${to}`);
      } else if (from === 'confirmed' && to === 'confirmed') {
        // Confirming twice answers the appointment unchanged and records nothing.
        expect(response.status).toBe(200);
        expect(body).toEqual(current);
        expect((await events(appointment.id)).filter((event) => event.type === 'appointment.confirmed')).toHaveLength(1);
      } else {
        expect(response.status, `${from} → ${to}`).toBe(422);
        expect(body.error.code).toBe('unprocessable');
        expect(body.error.details).toEqual({ status: from, allowed: allowed[from] });
        expect(body.error.message).toContain(from);
        const after = await clinic.call<Appointment>('GET', `${API}/appointments/${appointment.id}`);
        expect(after).toEqual(current);
      }
    }
  });

  it('needs a reason to cancel, and frees the time for someone else', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patientId = await createPatient(harness, clinic);
    const appointment = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId, practitionerId, startAt: '2026-12-03T10:00' });
    await expectError(await clinic.request('POST', `${API}/appointments/${appointment.id}/cancel`, { body: {} }), 400, 'reason');
    await expectError(await clinic.request('POST', `${API}/appointments/${appointment.id}/cancel`, { body: { reason: '   ' } }), 400, 'reason');
    expect((await clinic.call<Appointment>('GET', `${API}/appointments/${appointment.id}`)).status).toBe('booked');
    await clinic.call('POST', `${API}/appointments/${appointment.id}/cancel`, { reason: 'Moved away' });
    const next = await book({ patientId: await createPatient(harness, clinic), practitionerId, startAt: '2026-12-03T10:00' });
    expect(next.status).toBe(201);
  });

  it('records a no-show only once the appointment has started', async () => {
    const { practitionerId } = await createScheduledPractitioner(clinic);
    const patientId = await createPatient(harness, clinic);
    const appointment = await clinic.call<Appointment>('POST', `${API}/appointments`, { patientId, practitionerId, startAt: '2026-12-03T11:00' });
    const early = await expectError(await clinic.request('POST', `${API}/appointments/${appointment.id}/no-show`), 422);
    expect(early.error.message).toContain('once it has started');
    clock.set(new Date('2026-12-03T16:05:00Z'));
    expect((await clinic.call<Appointment>('POST', `${API}/appointments/${appointment.id}/no-show`)).status).toBe('no_show');
  });
});
