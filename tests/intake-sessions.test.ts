import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOperation } from '../src/tools/runner.js';
import { countRows, expectError } from './appointments-fixtures.js';
import { API, openClinic } from './support/clinic-fixture.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { consentingPatient, conversationCaller, intakeClinic, openSession, SESSIONS, type Session, type SessionDetail } from './support/intake-fixture.js';

let harness: Harness;
let clinic: TestTenant;
let patientId: string;

beforeAll(async () => {
  harness = await createHarness();
  ({ clinic, patient: { id: patientId } } = await intakeClinic(harness));
});
afterAll(() => harness.close());

type Runs = { items: { tool: string; status: string; error: { code: string } | null }[] };

describe('opening an intake', () => {
  it('opens a session for a consenting patient, logged in the run log, with an event', async () => {
    const response = await clinic.request('POST', SESSIONS, { body: { patientId }, key: clinic.keys.staff });
    expect(response.status).toBe(201);
    const session = (await response.json()) as Session;
    expect(session).toMatchObject({ patientId, appointmentId: null, status: 'open', rev: 0, recordCount: 0, channel: null, createdBy: { kind: 'staff' } });
    const runId = response.headers.get('x-tool-run-id');
    const run = await clinic.call<{ tool: string; status: string; output: { id: string } }>('GET', `${API}/agents/runs/${runId}`);
    expect(run).toMatchObject({ tool: 'create_intake_session', status: 'succeeded', output: { id: session.id } });
    const [event] = await harness.services.orm.em
      .fork()
      .execute<{ type: string; payload: Record<string, unknown> }[]>(`select type, payload from domain_event where tenant_id = ? and entity_id = ?`, [clinic.tenant.id, session.id]);
    expect(event).toEqual({ type: 'intake.session_created', payload: { patientId } });
  });

  it('needs the patient’s care_messages consent on the channel or on all; a form needs it on all', async () => {
    const onWhatsApp = await consentingPatient(clinic, { consentChannel: 'whatsapp' });
    expect((await openSession(clinic, onWhatsApp.id, { channel: 'whatsapp' })).channel).toBe('whatsapp');
    await expectError(await clinic.request('POST', SESSIONS, { body: { patientId: onWhatsApp.id, channel: 'sms' } }), 422, 'patientId');
    await expectError(await clinic.request('POST', SESSIONS, { body: { patientId: onWhatsApp.id } }), 422, 'patientId');

    const none = await consentingPatient(clinic, { consentChannel: null });
    const refused = await expectError(await clinic.request('POST', SESSIONS, { body: { patientId: none.id } }), 422, 'patientId');
    expect(refused.error.message).toContain('care_messages');
    await clinic.call('POST', `${API}/patients/${onWhatsApp.id}/consents/revoke`, { channel: 'whatsapp', purpose: 'care_messages' });
    await expectError(await clinic.request('POST', SESSIONS, { body: { patientId: onWhatsApp.id, channel: 'whatsapp' } }), 422, 'patientId');
    const runs = await clinic.call<Runs>('GET', `${API}/agents/runs?tool=create_intake_session&status=failed`);
    expect(runs.items.filter((run) => run.error?.code === 'unprocessable').length).toBe(4);
  });

  it('links an appointment of the same patient that will happen, and refuses any other', async () => {
    const own = await harness.newTenant();
    const setup = await openClinic(harness, own, { twilio: false });
    await own.call('POST', `${API}/patients/${setup.patient.id}/consents`, { channel: 'all', purpose: 'care_messages' });
    const other = await consentingPatient(own);
    const book = (patient: string, startAt: string) => own.call<{ id: string }>('POST', `${API}/appointments`, { patientId: patient, practitionerId: setup.practitionerId, startAt });
    const appointment = await book(setup.patient.id, '2030-03-04T10:00');
    const session = await openSession(own, setup.patient.id, { appointmentId: appointment.id });
    expect(session.appointmentId).toBe(appointment.id);

    const othersAppointment = await book(other.id, '2030-03-04T11:00');
    await expectError(await own.request('POST', SESSIONS, { body: { patientId: setup.patient.id, appointmentId: othersAppointment.id } }), 422, 'appointmentId');
    const cancelled = await book(setup.patient.id, '2030-03-05T10:00');
    await own.call('POST', `${API}/appointments/${cancelled.id}/cancel`, { reason: 'Moved away' });
    await expectError(await own.request('POST', SESSIONS, { body: { patientId: setup.patient.id, appointmentId: cancelled.id } }), 422, 'appointmentId');
    // Another clinic's appointment does not exist here.
    await expectError(await clinic.request('POST', SESSIONS, { body: { patientId, appointmentId: appointment.id } }), 404);
    expect(await countRows(harness, own, 'intake_session')).toBe(1);
  });

  it('answers 404 for another clinic’s patient and session, and 400 naming a malformed field', async () => {
    const other = await intakeClinic(harness);
    const theirs = await openSession(other.clinic, other.patient.id);
    await expectError(await clinic.request('POST', SESSIONS, { body: { patientId: other.patient.id } }), 404);
    await expectError(await clinic.request('GET', `${SESSIONS}/${theirs.id}`), 404);
    await expectError(await clinic.request('PUT', `${SESSIONS}/${theirs.id}/records`, { body: { records: [{ clientItemId: 'a', kind: 'note', data: { text: 'x' } }] } }), 404);
    await expectError(await clinic.request('POST', `${SESSIONS}/${theirs.id}/submit`, { body: {} }), 404);
    await expectError(await clinic.request('POST', SESSIONS, { body: { patientId: 'someone' } }), 400, 'patientId');
    await expectError(await clinic.request('POST', SESSIONS, { body: { patientId, channel: 'fax' } }), 400, 'channel');
    await expectError(await clinic.request('GET', `${SESSIONS}?status=closed`), 400, 'status.0');
    expect(await countRows(harness, other.clinic, 'intake_session')).toBe(1);
  });
});

describe('reading intakes', () => {
  it('gets a session with its records and no summary yet, and lists by patient, status, appointment and time, page by page', async () => {
    const { clinic: own, patient } = await intakeClinic(harness);
    const second = await consentingPatient(own);
    const sessions = [await openSession(own, patient.id), await openSession(own, patient.id), await openSession(own, second.id)];
    const detail = await own.call<SessionDetail>('GET', `${SESSIONS}/${sessions[0].id}`);
    expect(detail).toMatchObject({ id: sessions[0].id, records: [], summary: null });

    type Page = { items: Session[]; nextCursor: string | null };
    const first = await own.call<Page>('GET', `${SESSIONS}?patientId=${patient.id}&limit=1`);
    expect(first.items.map((item) => item.id)).toEqual([sessions[1].id]);
    const next = await own.call<Page>('GET', `${SESSIONS}?patientId=${patient.id}&limit=1&cursor=${first.nextCursor}`);
    expect(next.items.map((item) => item.id)).toEqual([sessions[0].id]);
    expect(next.nextCursor).toBeNull();
    expect((await own.call<Page>('GET', `${SESSIONS}?status=submitted`)).items).toEqual([]);
    expect((await own.call<Page>('GET', `${SESSIONS}?status=open`)).items).toHaveLength(3);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await own.call<Page>('GET', `${SESSIONS}?createdSince=${future}`)).items).toEqual([]);
    expect((await own.call<Page>('GET', `${SESSIONS}?createdUntil=${future}`)).items).toHaveLength(3);
  });
});

describe('a patient merge', () => {
  it('moves the duplicate’s intake sessions to the patient kept; a merged patient gets no new session', async () => {
    const kept = await consentingPatient(clinic);
    const duplicate = await consentingPatient(clinic);
    const session = await openSession(clinic, duplicate.id);
    const merged = await clinic.call<{ moved: { intakeSessions: number } }>('POST', `${API}/patients/${kept.id}/merge`, { sourcePatientId: duplicate.id });
    expect(merged.moved.intakeSessions).toBe(1);
    expect((await clinic.call<Session>('GET', `${SESSIONS}/${session.id}`)).patientId).toBe(kept.id);
    const refused = await expectError(await clinic.request('POST', SESSIONS, { body: { patientId: duplicate.id } }), 422);
    expect(refused.error.details).toEqual({ mergedIntoId: kept.id });
  });
});

describe('the agent in a patient conversation', () => {
  it('reaches only the verified patient’s own sessions, and nothing before verification', async () => {
    const other = await consentingPatient(clinic);
    const theirs = await openSession(clinic, other.id);
    // No consent needed: the verified patient is the one answering. The patient comes from the conversation, whatever the input says.
    const me = await consentingPatient(clinic, { consentChannel: null });
    const caller = conversationCaller(clinic, me.id);
    const created = await runOperation(harness.services, caller, { tool: 'create_intake_session', input: { patientId: other.id } });
    expect(created.ok && created.output).toMatchObject({ patientId: me.id, channel: 'whatsapp', conversationId: caller.conversationId, createdBy: { kind: 'agent' } });

    const read = await runOperation(harness.services, caller, { tool: 'get_intake_session', input: { id: theirs.id } });
    expect(read.ok ? null : read.error.code).toBe('not_found');
    const write = await runOperation(harness.services, caller, {
      tool: 'upsert_intake_records',
      input: { id: theirs.id, patientId: other.id, records: [{ clientItemId: 'x', kind: 'note', data: { text: 'injected' } }] },
    });
    expect(write.ok ? null : write.error.code).toBe('not_found');
    const listed = await runOperation(harness.services, caller, { tool: 'list_intake_sessions', input: { patientId: other.id } });
    expect(listed.ok && (listed.output as { items: Session[] }).items.map((item) => item.patientId)).toEqual([me.id]);

    const unverified = await runOperation(harness.services, conversationCaller(clinic, me.id, false), { tool: 'list_intake_sessions', input: {} });
    expect(unverified.ok ? null : unverified.error.code).toBe('forbidden');
    const review = await runOperation(harness.services, caller, { tool: 'review_intake_session', input: { id: theirs.id } });
    expect(review.ok ? null : review.error.code).toBe('forbidden');
    expect((await clinic.call<SessionDetail>('GET', `${SESSIONS}/${theirs.id}`)).records).toEqual([]);
  });
});
